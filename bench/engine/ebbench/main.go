// Command ebbench is the helper of bench/engine/run, the engine benchmark
// against a live EAS server (issue 6, "Measure and report"):
//
//	ebbench proxy -listen 127.0.0.1:0 -target URL [-record FILE] -log FILE
//	ebbench floor -log FILE -url EAS_URL -user U -device ID   (password in $EAS_PASSWORD)
//
// proxy forwards every request to the server unchanged and appends one
// JSON line per request to -log (command, status, bytes, duration), with
// the request's headers and body when -record is set: the exact requests
// the bridge made. It prints its address on stdout.
//
// floor replays a recorded session with no processing: see floor.go.
//
//	ebbench syncprof -url EAS_URL -user U -dir NEWDIR -cpuprofile FILE
//
// runs one initial sync in-process under the CPU profiler.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ebbench proxy|floor [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "proxy":
		err = runProxy(os.Args[2:])
	case "floor":
		err = runFloor(os.Args[2:])
	case "syncprof":
		err = runSyncProf(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ebbench:", err)
		os.Exit(1)
	}
}
