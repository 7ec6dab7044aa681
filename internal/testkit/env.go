package testkit

import (
	"os"
	"testing"
)

// Environment variables read by testkit; scripts/test.sh sets all of them.
const (
	EnvIMAPAddr       = "GONGKAI_TEST_IMAP_ADDR"       // host:port of the test Dovecot
	EnvIMAPUser       = "GONGKAI_TEST_IMAP_USER"       // its login
	EnvIMAPPassword   = "GONGKAI_TEST_IMAP_PASSWORD"   // its password
	EnvChromium       = "GONGKAI_TEST_CHROMIUM"        // path to a Chromium binary
	EnvRequireServers = "GONGKAI_TEST_REQUIRE_SERVERS" // "1": a missing server fails the test
)

// RequireServers reports whether a missing test server must fail the test
// rather than skip it.
func RequireServers() bool {
	return os.Getenv(EnvRequireServers) == "1"
}

// missing ends the test because the named server is not available: a failure
// under GONGKAI_TEST_REQUIRE_SERVERS=1, a skip otherwise.
func missing(t testing.TB, what, why string) {
	t.Helper()
	if RequireServers() {
		t.Fatalf("testkit: %s is required (%s=1) but not available: %s", what, EnvRequireServers, why)
		return
	}
	t.Skipf("testkit: skipping: %s is not available (%s); run `make test` to provide it", what, why)
}
