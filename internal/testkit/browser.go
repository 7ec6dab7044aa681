package testkit

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BrowserTimeout bounds everything one test does in its browser.
const BrowserTimeout = 3 * time.Minute

// defaultChromium is where Debian's chromium package puts the browser.
const defaultChromium = "/usr/bin/chromium"

// Chromium returns the path to the browser: GONGKAI_TEST_CHROMIUM, else
// /usr/bin/chromium. Without one it skips the test, or fails it under
// GONGKAI_TEST_REQUIRE_SERVERS=1.
func Chromium(t testing.TB) string {
	t.Helper()
	path := os.Getenv(EnvChromium)
	if path == "" {
		path = defaultChromium
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		missing(t, "Chromium", "no executable at "+path+" (set "+EnvChromium+")")
	}
	return path
}

// BrowserContext starts a headless Chromium with a fresh profile in
// t.TempDir() and returns a chromedp context for one tab, bounded by
// BrowserTimeout. The browser is closed when the test ends.
//
// The flags are the ones that work in a root container: no sandbox (Chrome
// refuses to run as root with it), no GPU, no QUIC, and no background traffic
// (sync, component updates), so a test only ever talks to 127.0.0.1.
func BrowserContext(t testing.TB) context.Context {
	t.Helper()
	path := Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser() // closes the tab and, being the first context, the browser
		cancelAlloc()
	})
	// Start the browser now, on the context without a deadline: the browser
	// lives as long as the context of the first run (chromedp.Run). A broken
	// browser then fails here, not in the test's first action.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("testkit: starting Chromium %s: %v", path, err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, BrowserTimeout)
	t.Cleanup(cancel)
	return ctx
}
