package ui

import (
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"strings"

	"keywarden/internal/domain"
)

// The guides (docs/*.md) as console pages, so that help links point at a
// served address (/ui/docs/webhooks#signatures) rather than a file in the
// repository. The renderer knows the Markdown the guides use: headings
// (with GitHub's anchors), paragraphs, lists, tables, fenced code, inline
// code, bold, italics and links. Everything is escaped first.

type docData struct {
	Title string
	Body  template.HTML
}

var docName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}$`)

func (h *Handler) doc(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	if h.Docs == nil || !docName.MatchString(name) {
		return domain.ErrNotFound
	}
	src, err := fs.ReadFile(h.Docs, name+".md")
	if err != nil {
		return domain.ErrNotFound
	}
	title, body := renderMarkdown(string(src))
	h.render(w, r, rq, http.StatusOK, "doc", &page{Title: title, Nav: "", Data: docData{Title: title, Body: body}})
	return nil
}

var (
	inlineCode = regexp.MustCompile("`([^`]+)`")
	boldText   = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	emText     = regexp.MustCompile(`(^|[\s(])\*([^*\s][^*]*)\*`)
	linkText   = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	olItem     = regexp.MustCompile(`^\d+\. `)
	slugDrop   = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// slug is GitHub's heading anchor: lower case, punctuation dropped,
// spaces to hyphens.
func slug(heading string) string {
	s := strings.ToLower(strings.TrimSpace(heading))
	s = slugDrop.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, " ", "-")
}

// docLink maps a link of a guide to where the console serves it: another
// guide (name.md#x) to /ui/docs/name#x, web addresses as they are; any
// other target (a file of the repository) is shown as text.
func docLink(target string) (string, bool) {
	switch {
	case strings.HasPrefix(target, "https://"), strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "#"):
		return target, true
	}
	file, frag, _ := strings.Cut(target, "#")
	file = strings.TrimPrefix(file, "./")
	if name, ok := strings.CutSuffix(file, ".md"); ok && docName.MatchString(name) {
		if frag != "" {
			frag = "#" + frag
		}
		return "/ui/docs/" + name + frag, true
	}
	return "", false
}

// inline renders a line's text: escaped, then code spans (left as they
// are), bold, italics and links.
func inline(s string) string {
	var codes []string
	s = inlineCode.ReplaceAllStringFunc(s, func(m string) string {
		codes = append(codes, "<code>"+html.EscapeString(m[1:len(m)-1])+"</code>")
		return "\x00" + string(rune('A'+len(codes)-1)) + "\x00"
	})
	s = html.EscapeString(s)
	s = linkText.ReplaceAllStringFunc(s, func(m string) string {
		p := linkText.FindStringSubmatch(m)
		target, ok := docLink(html.UnescapeString(p[2]))
		if !ok {
			return p[1]
		}
		return `<a href="` + html.EscapeString(target) + `">` + p[1] + `</a>`
	})
	s = boldText.ReplaceAllString(s, "<strong>$1</strong>")
	s = emText.ReplaceAllString(s, "$1<em>$2</em>")
	for i, c := range codes {
		s = strings.Replace(s, "\x00"+string(rune('A'+i))+"\x00", c, 1)
	}
	return s
}

// renderMarkdown returns a guide's first heading and its HTML (that
// heading left out: the page shows it as its title).
func renderMarkdown(src string) (string, template.HTML) {
	var b strings.Builder
	var title string
	var para []string
	var list string // "ul", "ol" or ""
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
		if list != "" {
			b.WriteString("</li></" + list + ">\n")
			list = ""
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trim := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trim, "```"):
			flush()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			// tabindex: a wide block scrolls, by keyboard too.
			b.WriteString(`<pre tabindex="0"><code>` + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
		case strings.HasPrefix(trim, "#"):
			flush()
			level := len(trim) - len(strings.TrimLeft(trim, "#"))
			text := strings.TrimSpace(trim[level:])
			if level == 1 && title == "" {
				title = text
				continue
			}
			// The page's title is the h1: the guide's ## are h2.
			level = min(max(level, 2), 4)
			tag := "h" + string(rune('0'+level))
			b.WriteString("<" + tag + ` id="` + html.EscapeString(slug(text)) + `">` + inline(text) + "</" + tag + ">\n")
		case strings.HasPrefix(trim, "|"):
			flush()
			b.WriteString(`<div class="table-wrap" tabindex="0" role="region" aria-label="Table">` + `<table class="doc-table">` + "\n")
			for row := 0; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i, row = i+1, row+1 {
				cells := strings.Split(strings.Trim(strings.TrimSpace(lines[i]), "|"), "|")
				if row == 1 && strings.Trim(strings.Join(cells, ""), " -:") == "" {
					continue // the header's separator
				}
				cell := "td"
				if row == 0 {
					cell = "th"
				}
				b.WriteString("<tr>")
				for _, c := range cells {
					if cell == "th" {
						b.WriteString(`<th scope="col">` + inline(strings.TrimSpace(c)) + "</th>")
					} else {
						b.WriteString("<td>" + inline(strings.TrimSpace(c)) + "</td>")
					}
				}
				b.WriteString("</tr>\n")
			}
			i--
			b.WriteString("</table></div>\n")
		case strings.HasPrefix(trim, "- ") || strings.HasPrefix(trim, "* ") || olItem.MatchString(trim):
			kind, text := "ul", trim[2:]
			if olItem.MatchString(trim) {
				kind, text = "ol", olItem.ReplaceAllString(trim, "")
			}
			if len(para) > 0 {
				if list != "" {
					b.WriteString(inline(strings.Join(para, " ")))
				} else {
					b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
				}
				para = nil
			}
			if list != kind {
				if list != "" {
					b.WriteString("</li></" + list + ">\n")
				}
				b.WriteString("<" + kind + "><li>")
				list = kind
			} else {
				b.WriteString("</li><li>")
			}
			para = append(para, text)
		case trim == "":
			if list != "" && len(para) > 0 {
				b.WriteString(inline(strings.Join(para, " ")))
				para = nil
				// A list goes on after a blank line when the next line is an item.
				if i+1 < len(lines) {
					next := strings.TrimSpace(lines[i+1])
					if strings.HasPrefix(next, "- ") || strings.HasPrefix(next, "* ") || olItem.MatchString(next) {
						continue
					}
				}
			}
			flush()
		default:
			para = append(para, trim)
		}
	}
	if list != "" && len(para) > 0 {
		b.WriteString(inline(strings.Join(para, " ")))
		para = nil
	}
	flush()
	return title, template.HTML(b.String()) //nolint:gosec // every piece above is escaped
}
