// Package docs embeds Keywarden's guides (the *.md files beside this one)
// so that the binary serves them: the console shows them at
// /ui/docs/{name} (for example the Webhooks guide's "Signatures" section
// at /ui/docs/webhooks#signatures), linked from the pages they explain.
//
// Imports: nothing.
package docs

import "embed"

// FS holds every guide, named NAME.md.
//
//go:embed *.md
var FS embed.FS
