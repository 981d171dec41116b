package maildir

import "sort"

// Subscription tells its owner which folders changed, by anyone: the
// Store's own methods (in either view) and, while Watch runs, other
// programs. It is coarse on purpose: the loopback IMAP server lists a
// changed folder again to answer IDLE and NOOP, which needs no event
// history and cannot fall behind.
type Subscription struct {
	s     *Store
	c     chan struct{}
	dirty map[Folder]bool // under s.mu
}

// Subscribe starts a subscription; Close it when done.
func (s *Store) Subscribe() *Subscription {
	sub := &Subscription{s: s, c: make(chan struct{}, 1), dirty: map[Folder]bool{}}
	s.mu.Lock()
	s.subs[sub] = true
	s.mu.Unlock()
	return sub
}

// C receives a value when folders changed since the last call to Changed.
func (sub *Subscription) C() <-chan struct{} { return sub.c }

// Changed returns the folders changed since the last call, sorted, and
// forgets them.
func (sub *Subscription) Changed() []Folder {
	sub.s.mu.Lock()
	defer sub.s.mu.Unlock()
	out := make([]Folder, 0, len(sub.dirty))
	for f := range sub.dirty {
		out = append(out, f)
	}
	clear(sub.dirty)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Close ends the subscription.
func (sub *Subscription) Close() {
	sub.s.mu.Lock()
	delete(sub.s.subs, sub)
	sub.s.mu.Unlock()
}

// changedLocked records that folder f changed, for every subscription.
func (s *Store) changedLocked(f Folder) {
	for sub := range s.subs {
		sub.dirty[f] = true
		select {
		case sub.c <- struct{}{}:
		default:
		}
	}
}
