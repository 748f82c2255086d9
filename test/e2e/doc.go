// Package e2e holds black-box tests of the built keywarden binary: each
// test starts real server processes on 127.0.0.1:0, talks to them over HTTP
// and through the CLI, and reads their logs.
package e2e
