package e2e

import (
	"bytes"
	be "encoding/binary"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// pgProxy forwards TCP connections to a PostgreSQL server and can
// black-hole the change listener's connections only (those whose startup
// message names application_name "keywarden listener"): from then on it
// forwards nothing either way and answers nothing, without closing, as a
// dead NAT entry or a partitioned network does. New listener connections
// hang the same way until restore. Other connections (the pool's) pass.
type pgProxy struct {
	ln       net.Listener
	upstream string
	dead     atomic.Bool
	mu       sync.Mutex
	conns    []net.Conn
	revived  chan struct{}
}

func newPGProxy(t *testing.T, upstream string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, upstream: upstream, revived: make(chan struct{})}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

// dsn is dsn with its host and port replaced by the proxy's.
func (p *pgProxy) dsn(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// blackhole stops the listener connections; restore lets new ones through.
func (p *pgProxy) blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dead.Store(true)
	p.revived = make(chan struct{})
}

func (p *pgProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dead.Store(false)
	close(p.revived)
}

func (p *pgProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *pgProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		go p.handle(c)
	}
}

func (p *pgProxy) handle(c net.Conn) {
	// StartupMessage: Int32 length (itself included), then the protocol
	// version and name/value pairs (sslmode=disable: no SSLRequest first).
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		c.Close()
		return
	}
	n := be.BigEndian.Uint32(head[:])
	if n < 8 || n > 10000 {
		c.Close()
		return
	}
	rest := make([]byte, n-4)
	if _, err := io.ReadFull(c, rest); err != nil {
		c.Close()
		return
	}
	listener := bytes.Contains(rest, []byte("application_name\x00keywarden listener\x00"))
	if listener && p.dead.Load() {
		p.mu.Lock()
		revived := p.revived
		p.mu.Unlock()
		<-revived // hang, as a partitioned network does; then drop it
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		c.Close()
		return
	}
	p.track(up)
	if _, err := up.Write(append(head[:], rest...)); err != nil {
		c.Close()
		up.Close()
		return
	}
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			k, err := src.Read(buf)
			if k > 0 && !(listener && p.dead.Load()) {
				if _, werr := dst.Write(buf[:k]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		dst.Close()
		src.Close()
	}
	go pipe(up, c)
	go pipe(c, up)
}
