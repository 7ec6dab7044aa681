// Package testkit holds the helpers that gongkai's tests share: the IMAP
// server and browser that scripts/test.sh provides, the e-mail corpus, free
// ports and a fake clock. It is imported by _test.go files only.
//
// Servers come from the environment that `make test` (scripts/test.sh)
// exports. When one is missing, a helper skips the test with a hint to run
// `make test` — unless GONGKAI_TEST_REQUIRE_SERVERS=1 (set by the script and
// so by CI), where a missing server fails the test instead: in CI a test that
// silently skips proves nothing (STYLE.md habit 13).
package testkit
