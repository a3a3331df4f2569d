package main

import (
	"fmt"
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill a child when relaybench dies
// without stopping it.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// raiseOpenFileLimit raises the soft RLIMIT_NOFILE of this process to at
// least want, within the hard limit, for the connections scenario's
// clients.
func raiseOpenFileLimit(want uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur >= want {
		return nil
	}
	if lim.Max < want {
		return fmt.Errorf("RLIMIT_NOFILE hard limit %d is below the %d open files needed; raise it (ulimit -Hn) or lower -concurrency", lim.Max, want)
	}
	lim.Cur = want
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raising RLIMIT_NOFILE to %d: %w", want, err)
	}
	return nil
}
