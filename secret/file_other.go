//go:build !unix

package secret

import "io/fs"

func lockFile(string) (func(), error) { return func() {}, nil }

func syncDir(string) error { return nil }

func checkOwner(fs.FileInfo) error { return nil }
