// hello-go: built in go:trixie-dev with CGO_ENABLED=0, run on go:trixie
// (no libc, no shell). It shows the three things a static Go program takes
// from its image: the CA bundle, the time zone database and the nonroot user.
package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"runtime"
	"time"
)

func main() {
	pool, err := x509.SystemCertPool()
	if err != nil || len(pool.Subjects()) < 100 {
		fmt.Fprintln(os.Stderr, "no CA bundle:", err)
		os.Exit(1)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		fmt.Fprintln(os.Stderr, "no time zones:", err)
		os.Exit(1)
	}
	offset := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).In(paris).Format("-07:00")
	fmt.Printf("hello from go (%s/%s, Paris %s, CA bundle ok) as uid %d\n", runtime.GOOS, runtime.GOARCH, offset, os.Getuid())
}
