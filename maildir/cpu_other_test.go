//go:build !unix

package maildir

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
