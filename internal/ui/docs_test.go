package ui

import (
	"strings"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	src := "# Webhooks\n\nIntro with `code <b>` and **bold** and *em*.\n\n" +
		"- [Signatures](#signatures)\n- see [rotation](rotation.md#the-flow)\n- a file [x](../internal/x.go)\n\n" +
		"## Signatures\n\n| header | value |\n| --- | --- |\n| `webhook-id` | the <ID> |\n\n" +
		"```\nwhsec_ + base64(<secret>)\n```\n\n1. one\n2. two\n\n### Asymmetric signatures (Standard Webhooks v1a, Ed25519)\n\n<script>alert(1)</script>\n"
	title, body := renderMarkdown(src)
	if title != "Webhooks" {
		t.Errorf("title = %q", title)
	}
	h := string(body)
	for _, want := range []string{
		"<code>code &lt;b&gt;</code>", "<strong>bold</strong>", "<em>em</em>",
		`<a href="#signatures">Signatures</a>`, `<a href="/ui/docs/rotation#the-flow">rotation</a>`, "a file x",
		`<h2 id="signatures">Signatures</h2>`, `<th scope="col">header</th>`, "<td>the &lt;ID&gt;</td>",
		`<pre tabindex="0"><code>whsec_ + base64(&lt;secret&gt;)</code></pre>`, "<ol><li>one</li><li>two</li></ol>",
		`<h3 id="asymmetric-signatures-standard-webhooks-v1a-ed25519">`, "&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("rendered HTML lacks %q:\n%s", want, h)
		}
	}
	for _, bad := range []string{"<script>", "<h1", "| ---", "../internal"} {
		if strings.Contains(h, bad) {
			t.Errorf("rendered HTML holds %q:\n%s", bad, h)
		}
	}
}
