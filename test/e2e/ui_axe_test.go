package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Accessibility: every page state the browser tests screenshot is also
// checked with axe-core (Deque's rules engine, from npm; .ci/run installs
// the version test/e2e/testdata/axe/package-lock.json pins) at both widths
// the console is checked at, 1280×800 and 390×844. A critical or serious
// finding fails the test; every state's counts are logged.

// axeWidths are the viewports every state is checked at.
var axeWidths = []viewport{desktop, phone}

// axeSource returns axe.min.js, or "" when it is not installed (the check
// is then skipped with a message, unless KEYWARDEN_AXE names the file: then
// a missing file fails the test).
func axeSource(t *testing.T) string {
	axeOnce.Do(func() {
		path := os.Getenv("KEYWARDEN_AXE")
		required := path != ""
		if path == "" {
			path = "testdata/axe/node_modules/axe-core/axe.min.js"
		}
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			axeJS = string(b)
		case required:
			axeErr = fmt.Errorf("KEYWARDEN_AXE=%s: %v", path, err)
		default:
			axeMissing = fmt.Sprintf("no axe-core at test/e2e/%s (cd test/e2e/testdata/axe && npm ci); skipping the accessibility checks", path)
		}
	})
	if axeErr != nil {
		t.Fatal(axeErr)
	}
	if axeJS == "" {
		axeLog.Do(func() { t.Log(axeMissing) })
	}
	return axeJS
}

var (
	axeOnce, axeLog sync.Once
	axeJS           string
	axeMissing      string
	axeErr          error
)

// axeViolation is one failed rule as axe reports it, trimmed.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun is the script that runs every rule of axe's default set on the
// document and returns the violations.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
  return r.violations.map(function (v) {
    return {id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(function (n) {
      return {target: n.target, html: n.html, failureSummary: n.failureSummary};
    })};
  });
})`

// axe checks the page as it is now at both widths, then puts the
// browser's viewport back. state names the page state in the log.
func (b *browser) axe(state string) {
	b.t.Helper()
	src := axeSource(b.t)
	if src == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	defer func() {
		if _, err := chromedp.Run(ctx, b.vp.emulate()); err != nil {
			b.t.Errorf("restore viewport: %v", err)
		}
	}()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
	if err != nil {
		b.t.Fatalf("axe %s: %v", state, err)
	}
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			b.t.Fatalf("load axe-core into %s: %v", b.location(), err)
		}
	}
	for _, vp := range axeWidths {
		if _, err := chromedp.Run(ctx, vp.emulate()); err != nil {
			b.t.Fatalf("axe %s: viewport %s: %v", state, vp.name, err)
		}
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](axeRun, chromedp.EvalAwaitPromise))
		if err != nil {
			b.t.Fatalf("axe %s at %d×%d: %v", state, vp.width, vp.height, err)
		}
		var found []axeViolation
		if err := json.Unmarshal(raw, &found); err != nil {
			b.t.Fatalf("axe %s: result: %v", state, err)
		}
		counts := map[string]int{}
		for _, v := range found {
			counts[v.Impact] += len(v.Nodes)
		}
		b.t.Logf("axe %s %d×%d %s: critical %d, serious %d, moderate %d, minor %d",
			b.prefix(), vp.width, vp.height, state, counts["critical"], counts["serious"], counts["moderate"], counts["minor"])
		for _, v := range found {
			if v.Impact != "critical" && v.Impact != "serious" {
				continue
			}
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprintf("    %v %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      ")))
			}
			b.t.Errorf("axe %s at %d×%d (%s): %s %s: %s\n%s", state, vp.width, vp.height, b.location(), v.Impact, v.ID, v.Help, strings.Join(where, "\n"))
		}
	}
}

// emulate sets the browser's viewport to vp.
func (vp viewport) emulate() chromedp.Action[chromedp.Void] {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(vp.scale)}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	return chromedp.EmulateViewport(vp.width, vp.height, opts...)
}
