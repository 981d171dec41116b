//go:build unix

package maildir

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system time, for benchmarks on a shared
// machine where wall time mostly measures the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
