package chatbot

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"gongkai"
)

// Line is one line of a stored conversation.
type Line struct {
	At   time.Time
	Role string // RoleUser or RoleBot
	Text string
}

// Roles of a Line.
const (
	RoleUser = "user"
	RoleBot  = "bot"
)

// Sessions stores conversations (SQLite in production: store.Tx's chat
// methods, adapted in cmd/gongkai). Load returns a gongkai.ENotFound error
// for an unknown or expired session.
type Sessions interface {
	Load(ctx context.Context, id string, now time.Time) (state []byte, err error)
	// Save writes the state and appends the lines, in one transaction.
	Save(ctx context.Context, id string, state []byte, caseID int64, expires time.Time, lines []Line) error
	Lines(ctx context.Context, id string, now time.Time) ([]Line, error)
	Sweep(ctx context.Context, now time.Time) (int, error)
}

// Service runs conversations: load the session, take one turn of the engine,
// save the state and both lines.
type Service struct {
	Engine   *Engine
	Sessions Sessions
	// TTL is how long an idle session lives (default 2 hours).
	TTL time.Duration
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// Log gets the session id and the intent of each turn — never what the
	// citizen wrote.
	Log *slog.Logger

	locks [64]sync.Mutex // one turn at a time per session
}

// Result is the answer to one message (contracts/http-api.md, Chat).
type Result struct {
	Session string
	Reply   string
	Done    bool
	CaseNo  string
	Intent  string
}

// DefaultTTL is how long an abandoned conversation is kept.
const DefaultTTL = 2 * time.Hour

// FiledTTL is how long a conversation is kept once it filed its application.
const FiledTTL = 10 * time.Minute

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return DefaultTTL
}

// NewSessionID returns a random, unguessable session id.
func NewSessionID() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Errorf("chatbot: random session id: %w", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ValidSessionID reports whether id has the shape NewSessionID gives.
func ValidSessionID(id string) bool {
	if len(id) != 24 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Service) lock(id string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(id))
	return &s.locks[h.Sum32()%uint32(len(s.locks))]
}

// Turn takes one message of session id. An empty, unknown or expired id
// starts a fresh session (its id is in the result), never an error. A
// message over MaxText characters is ErrTooLong.
func (s *Service) Turn(ctx context.Context, id, text string) (Result, error) {
	if utf8.RuneCountInString(text) > MaxText {
		return Result{}, ErrTooLong
	}
	now := s.now()
	var st State
	if ValidSessionID(id) {
		mu := s.lock(id)
		mu.Lock()
		defer mu.Unlock()
		raw, err := s.Sessions.Load(ctx, id, now)
		switch {
		case err == nil:
			if err := json.Unmarshal(raw, &st); err != nil {
				return Result{}, fmt.Errorf("chatbot: decode session state: %w", err)
			}
		case gongkai.ErrorKind(err) == gongkai.ENotFound:
			id = ""
		default:
			return Result{}, err
		}
	} else {
		id = ""
	}
	if id == "" {
		id = NewSessionID()
		st = State{}
	}
	st.ID = id
	r := s.Engine.Turn(ctx, &st, text)
	raw, err := json.Marshal(st)
	if err != nil {
		return Result{}, fmt.Errorf("chatbot: encode session state: %w", err)
	}
	lines := []Line{{At: now, Role: RoleUser, Text: gongkai.Clean(text)}, {At: now, Role: RoleBot, Text: r.Text}}
	expires := now.Add(s.ttl())
	if r.Done {
		// Filed: the conversation, with the ID number and the 查询码 in it,
		// is not left on the screen of a shared computer for hours.
		expires = now.Add(min(s.ttl(), FiledTTL))
	}
	if err := s.Sessions.Save(ctx, id, raw, st.CaseID, expires, lines); err != nil {
		return Result{}, err
	}
	if s.Log != nil {
		s.Log.Info("chat turn", "session", id, "intent", r.Intent, "stage", st.Stage)
	}
	return Result{Session: id, Reply: r.Text, Done: r.Done, CaseNo: r.CaseNo, Intent: r.Intent}, nil
}

// Transcript returns the lines of a live session; an unknown or expired id
// gives none.
func (s *Service) Transcript(ctx context.Context, id string) ([]Line, error) {
	if !ValidSessionID(id) {
		return nil, nil
	}
	lines, err := s.Sessions.Lines(ctx, id, s.now())
	if gongkai.ErrorKind(err) == gongkai.ENotFound {
		return nil, nil
	}
	return lines, err
}

// Sweep deletes expired sessions with their lines.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	return s.Sessions.Sweep(ctx, s.now())
}

// Run sweeps expired sessions every interval until ctx ends (a worker with
// an owner, STYLE.md habit 8).
func (s *Service) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = 10 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.Sweep(ctx); err != nil {
			if s.Log != nil {
				s.Log.Error("chat sweep", "err", err)
			}
		} else if n > 0 && s.Log != nil {
			s.Log.Info("chat sessions expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
