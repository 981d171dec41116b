// Command sampleserver runs the in-process EAS server of eas/eastest on a
// loopback port, seeded with the demo's sample mailbox plus a number of
// generated items, for measuring `easbridge run` in a process of its own
// (bench/product/measure.sh). It prints the ActiveSync URL and serves
// until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/easbridge/easbridge/eas/eastest"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback `address` to serve on")
	items := flag.Int("items", 10000, "generated items besides the sample mailbox")
	user := flag.String("user", "bench", "account `name`")
	flag.Parse()
	password := os.Getenv("EASBRIDGE_PASSWORD")
	if password == "" {
		log.Fatal("sampleserver: set $EASBRIDGE_PASSWORD to the account's password")
	}
	srv := eastest.New(eastest.Config{EmptySyncWhenUnchanged: true})
	if err := srv.AddUser(eastest.User{Name: *user, Password: password}); err != nil {
		log.Fatal(err)
	}
	if err := srv.SeedBulk(*user, time.Now(), *items); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s/Microsoft-Server-ActiveSync\n", ln.Addr())
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
	log.Fatal(hs.Serve(ln))
}
