//go:build unix

package maildir

import (
	"errors"
	"syscall"
)

// processAlive says whether a process with this id exists (signal 0).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
