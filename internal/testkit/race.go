package testkit

import "sync"

// Race runs fn(0) … fn(n-1) on goroutines of their own, released at once,
// and waits for them: the shape of every concurrency test.
func Race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() { <-start; fn(i) })
	}
	close(start)
	wg.Wait()
}
