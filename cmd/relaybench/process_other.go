//go:build !linux

package main

import "os/exec"

// setParentDeathSignal does nothing outside Linux: a crashed relaybench
// leaves its children running there.
func setParentDeathSignal(*exec.Cmd) {}

// raiseOpenFileLimit leaves the limit alone outside Linux.
func raiseOpenFileLimit(uint64) error { return nil }
