//go:build !linux

package storetest

import "os/exec"

// setParentDeathSignal does nothing where the kernel offers no parent
// death signal, so a crashed test may leave redis-server running.
func setParentDeathSignal(*exec.Cmd) {}
