// offline-tuf writes a minimal TUF repository that serves one target,
// trusted_root.json, signed with a throwaway key. It lets stock cosign v2
// verify sigstore bundles with --key on a machine that cannot reach the
// public-good TUF CDN: `cosign initialize --mirror <this repo over http>
// --root <root.json>` stores the root, and `cosign verify` then fetches the
// trusted root from this mirror instead of failing. This is how an air-gapped
// deployment runs cosign; tempered's tests use it so the verification command
// is exactly the one users type.
//
// Usage: go run ./tools/offline-tuf -out DIR -trusted-root FILE
package main

import (
	"crypto"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

func main() {
	out := flag.String("out", "", "directory to write the repository into")
	trustedRoot := flag.String("trusted-root", "", "the trusted_root.json to serve")
	flag.Parse()
	if *out == "" || *trustedRoot == "" {
		fmt.Fprintln(os.Stderr, "usage: offline-tuf -out DIR -trusted-root FILE")
		os.Exit(2)
	}
	if err := write(*out, *trustedRoot); err != nil {
		fmt.Fprintln(os.Stderr, "offline-tuf:", err)
		os.Exit(1)
	}
}

func write(out, trustedRoot string) error {
	// Ten years: the repository lives in a test cache, not on the internet.
	expires := time.Now().UTC().AddDate(10, 0, 0)
	targetsDir := filepath.Join(out, "targets")
	if err := os.MkdirAll(targetsDir, 0o755); err != nil {
		return err
	}
	content, err := os.ReadFile(trustedRoot)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(targetsDir, "trusted_root.json"), content, 0o644); err != nil {
		return err
	}

	_, private, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	key, err := metadata.KeyFromPublicKey(private.Public())
	if err != nil {
		return err
	}
	signer, err := signature.LoadSigner(private, crypto.Hash(0))
	if err != nil {
		return err
	}

	targets := metadata.Targets(expires)
	info, err := metadata.TargetFile().FromFile(filepath.Join(targetsDir, "trusted_root.json"), "sha256")
	if err != nil {
		return err
	}
	targets.Signed.Targets["trusted_root.json"] = info
	snapshot := metadata.Snapshot(expires)
	timestamp := metadata.Timestamp(expires)
	root := metadata.Root(expires)
	// Plain file names (no version or hash prefixes) keep the mirror a static directory.
	root.Signed.ConsistentSnapshot = false
	for _, role := range []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(key, role); err != nil {
			return err
		}
	}
	if _, err := targets.Sign(signer); err != nil {
		return err
	}
	if _, err := snapshot.Sign(signer); err != nil {
		return err
	}
	if _, err := timestamp.Sign(signer); err != nil {
		return err
	}
	if _, err := root.Sign(signer); err != nil {
		return err
	}
	files := map[string]interface{ ToFile(string, bool) error }{
		"root.json":      root,
		"1.root.json":    root,
		"targets.json":   targets,
		"snapshot.json":  snapshot,
		"timestamp.json": timestamp,
	}
	for name, md := range files {
		if err := md.ToFile(filepath.Join(out, name), true); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}
