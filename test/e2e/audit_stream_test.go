package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// rsyslogd finds Debian's rsyslogd: KEYWARDEN_RSYSLOGD (which .ci/run
// sets, and then a missing daemon fails the test), else the usual places.
func rsyslogd(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KEYWARDEN_RSYSLOGD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("KEYWARDEN_RSYSLOGD=%s: %v", p, err)
		}
		return p
	}
	if p, err := exec.LookPath("rsyslogd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/rsyslogd"); err == nil {
		return "/usr/sbin/rsyslogd"
	}
	t.Skip("no rsyslogd (apt-get install rsyslog rsyslog-gnutls, or set KEYWARDEN_RSYSLOGD); .ci/run sets it")
	return ""
}

// syslogd is a real rsyslog on loopback with a configuration of its own:
// one plain TCP input and one TLS input (gtls), each writing the raw
// messages it receives to a file of its own.
type syslogd struct {
	bin, dir, conf string
	plain, tls     string // host:port
	cmd            *exec.Cmd
	done           chan error
	logs           *syncBuffer
}

func newSyslogd(t *testing.T) *syslogd {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t, dir, "syslog")
	ca.issue(t, "127.0.0.1", false, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	d := &syslogd{bin: rsyslogd(t), dir: dir, conf: filepath.Join(dir, "rsyslog.conf"), plain: freePort(t), tls: freePort(t)}
	port := func(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }
	conf := fmt.Sprintf(`global(workDirectory=%[1]q maxMessageSize="64k"
  defaultNetstreamDriverCAFile=%[2]q defaultNetstreamDriverCertFile=%[3]q defaultNetstreamDriverKeyFile=%[4]q)
module(load="imtcp")
template(name="raw" type="string" string="%%rawmsg%%\n")
ruleset(name="plain") { action(type="omfile" file=%[5]q template="raw") }
ruleset(name="tls") { action(type="omfile" file=%[6]q template="raw") }
input(type="imtcp" address="127.0.0.1" port=%[7]q ruleset="plain")
input(type="imtcp" address="127.0.0.1" port=%[8]q ruleset="tls" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
`, dir, ca.pemFile, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"),
		filepath.Join(dir, "plain.log"), filepath.Join(dir, "tls.log"), port(d.plain), port(d.tls))
	if err := os.WriteFile(d.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	t.Cleanup(func() {
		d.stop(t)
		if t.Failed() {
			t.Logf("rsyslogd output:\n%s", d.logs.String())
		}
	})
	return d
}

func (d *syslogd) start(t *testing.T) {
	t.Helper()
	d.logs = &syncBuffer{}
	d.cmd = exec.Command(d.bin, "-n", "-f", d.conf, "-i", filepath.Join(d.dir, "rsyslogd.pid"))
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.done = make(chan error, 1)
	go func() { d.done <- d.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for _, addr := range []string{d.plain, d.tls} {
		for {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
				break
			}
			select {
			case err := <-d.done:
				t.Fatalf("rsyslogd exited: %v\n%s", err, d.logs.String())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("rsyslogd does not listen on %s\n%s", addr, d.logs.String())
			}
		}
	}
}

// stop ends rsyslogd with SIGTERM, by its PID, and waits for it.
func (d *syslogd) stop(t *testing.T) {
	t.Helper()
	if d.cmd == nil || d.cmd.ProcessState != nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		t.Errorf("rsyslogd did not stop on SIGTERM")
	}
}

var sdSeq = regexp.MustCompile(`\[keywarden@32473 seq="(\d+)" hash="([0-9a-f]*)" prev_hash="([0-9a-f]*)"`)

// streamed is what one rsyslog file holds: the records in arrival order.
type streamed struct {
	seqs       []int64
	hash, prev map[int64]string
	actions    map[int64]string
	checkpoint []string // the audit.checkpoint records' checkpoints
}

func readStreamed(t *testing.T, file string) streamed {
	t.Helper()
	s := streamed{hash: map[int64]string{}, prev: map[int64]string{}, actions: map[int64]string{}}
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return s
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		m := sdSeq.FindStringSubmatch(line)
		if m == nil || !strings.HasPrefix(line, "<") || !strings.Contains(line, ">1 ") {
			t.Fatalf("%s: not an RFC 5424 Keywarden message: %q", file, line)
		}
		seq, _ := strconv.ParseInt(m[1], 10, 64)
		var rec struct {
			Action string            `json:"action"`
			Detail map[string]string `json:"detail"`
		}
		if err := json.Unmarshal([]byte(line[strings.Index(line, "] ")+2:]), &rec); err != nil {
			t.Fatalf("%s: message body: %v: %q", file, err, line)
		}
		s.seqs = append(s.seqs, seq)
		s.hash[seq], s.prev[seq], s.actions[seq] = m[2], m[3], rec.Action
		if rec.Action == "audit.checkpoint" {
			s.checkpoint = append(s.checkpoint, rec.Detail["checkpoint"])
		}
	}
	return s
}

// check says what is wrong with the stream as a receiver would see it:
// every event from 1 to head, first arrivals in order, each linked to the
// one before by its hash. Duplicates (a batch resent after a crash or a
// reconnect: at least once) are counted, and only allowed as resends of
// what already arrived.
func (s streamed) check(head int64) (dups int, problem string) {
	var max int64
	for _, seq := range s.seqs {
		switch {
		case seq <= max:
			dups++
		case seq != max+1:
			return dups, fmt.Sprintf("event %d arrived after %d: %d is missing or late", seq, max, max+1)
		default:
			max = seq
		}
	}
	if max != head {
		return dups, fmt.Sprintf("received through %d, the log holds %d", max, head)
	}
	for seq := int64(2); seq <= head; seq++ {
		if s.prev[seq] != s.hash[seq-1] {
			return dups, fmt.Sprintf("event %d does not link to event %d", seq, seq-1)
		}
	}
	return dups, ""
}

// TestAuditStreamToRsyslog streams the audit log to a real rsyslog, over
// TCP and over TLS, through a SIGKILL of Keywarden and a restart of
// rsyslog: every event arrives, in order, each linked to the one before,
// the chain's checkpoints with them.
func TestAuditStreamToRsyslog(t *testing.T) {
	d := newSyslogd(t)
	in := newSQLite(t)
	boot := in.init(t, "Acme", "admin@example.com")
	args := []string{"--audit-stream", "plain=syslog+tcp://" + d.plain + ",secure=syslog+tls://" + d.tls + "?ca_file=" + filepath.Join(d.dir, "syslog-ca.pem"),
		"--audit-stream-interval", "50ms", "--webhook-dispatch=false"}
	srv := in.start(t, args...)
	n := 0
	events := func(srv *server, k int) {
		t.Helper()
		for range k {
			n++
			srv.must(t, http.StatusCreated, boot.APIToken, "POST", "/v1/clients", apiv1.CreateClient{Name: fmt.Sprintf("app-%d", n)}, nil)
		}
	}
	head := func() int64 {
		t.Helper()
		out, errOut, code := in.run(t, "", append([]string{"audit", "verify", "-o", "json"}, in.storeArgs()...)...)
		if code != 0 {
			t.Fatalf("audit verify: exit %d: %s %s", code, out, errOut)
		}
		var res struct {
			HeadSeq int64 `json:"head_seq"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		return res.HeadSeq
	}
	// waitDelivered waits until both files hold everything the log holds.
	waitDelivered := func(what string) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			h := head()
			_, p1 := readStreamed(t, filepath.Join(d.dir, "plain.log")).check(h)
			_, p2 := readStreamed(t, filepath.Join(d.dir, "tls.log")).check(h)
			if p1 == "" && p2 == "" && h == head() {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: plain: %s; tls: %s\nserver log:\n%s", what, p1, p2, srv.logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	events(srv, 20)
	waitDelivered("before the crash")

	// SIGKILL in the middle of a burst: what was sent but not recorded as
	// delivered is sent again by the next process.
	events(srv, 15)
	srv.kill(t)
	srv = in.start(t, args...)
	events(srv, 10)
	waitDelivered("after the SIGKILL")

	// rsyslog restarts while events keep coming: the streams reconnect
	// and resend what the old connection may have lost.
	events(srv, 10)
	d.stop(t)
	events(srv, 10)
	d.start(t)
	events(srv, 10)
	waitDelivered("after rsyslog's restart")

	h := head()
	for _, file := range []string{"plain.log", "tls.log"} {
		s := readStreamed(t, filepath.Join(d.dir, file))
		dups, problem := s.check(h)
		if problem != "" {
			t.Fatalf("%s: %s", file, problem)
		}
		t.Logf("%s: %d events (1–%d) complete and in order, %d resent duplicates, %d checkpoints", file, h, h, dups, len(s.checkpoint))
		if len(s.checkpoint) == 0 {
			t.Errorf("%s: no audit.checkpoint record arrived", file)
		}
		// A checkpoint the SIEM holds proves the database still holds
		// the chain it saw.
		cp := s.checkpoint[len(s.checkpoint)-1]
		if out, errOut, code := in.run(t, "", append([]string{"audit", "verify", "--checkpoint", cp}, in.storeArgs()...)...); code != 0 {
			t.Errorf("audit verify --checkpoint %s (from %s): exit %d: %s %s", cp, file, code, out, errOut)
		}
	}
}
