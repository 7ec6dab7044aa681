package web

import "time"

// SetLookupClock replaces the clock of the status-lookup limiter (after
// Handler built it), so that tests pass its window without sleeping.
func SetLookupClock(s *Server, now func() time.Time) { s.lookups.now = now }

// LookupKeys is how many keys the status-lookup limiter holds.
func LookupKeys(s *Server) int { return s.lookups.size() }

// Limits the tests go past.
const (
	LookupMaxKeys = lookupMaxKeys
	InboxPageSize = inboxPageSize
)
