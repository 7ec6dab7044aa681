package main

import (
	"context"
	"fmt"
	"time"

	"gongkai"
	"gongkai/classifier"
	"gongkai/intake/chatbot"
	"gongkai/store"
	"gongkai/web"
)

// Chat-bot wiring (issue 8): the dialog engine files through the case engine
// like the form, sessions live in SQLite, a worker sweeps expired ones, and
// the web server gets /chat and /api/v1/chat.

func init() { appHooks = append(appHooks, wireChat) }

// chatSweepEvery is how often expired chat sessions are deleted.
const chatSweepEvery = 10 * time.Minute

func wireChat(a *App) error {
	bot, err := newChatService(a)
	if err != nil {
		return err
	}
	// One address may send six chat messages per filing it may make.
	rate := a.Config.Int("file-rate") * 6
	a.Web.Extra = append(a.Web.Extra, web.ChatRoutes(bot, rate))
	a.workers = append(a.workers, worker{name: "chat-sweep", run: func(ctx context.Context) error { return bot.Run(ctx, chatSweepEvery) }})
	return nil
}

// newChatService builds the chat-bot over a's case engine and database.
func newChatService(a *App) (*chatbot.Service, error) {
	now := func() time.Time { return a.DB.Now() }
	cl, err := classifier.New(classifier.WithClock(now))
	if err != nil {
		return nil, fmt.Errorf("chat: classifier: %w", err)
	}
	file := func(ctx context.Context, app gongkai.Application, key string) (chatbot.Filed, error) {
		c, _, err := a.Cases.File(ctx, app, gongkai.ChannelChat, key, "applicant")
		if err != nil {
			return chatbot.Filed{}, err
		}
		return chatbot.Filed{CaseID: c.ID, No: c.No, QueryCode: c.QueryCode, ReceivedOn: c.ReceivedOn, DueOn: c.DueOn}, nil
	}
	track := func(ctx context.Context, no, code string) (chatbot.Status, error) {
		// Under the status page's limit on failed lookups.
		var c *gongkai.Case
		err := a.Web.LimitedLookup(ctx, no, func() (err error) {
			c, _, err = a.Cases.Track(ctx, no, code)
			return err
		})
		if err != nil {
			return chatbot.Status{}, err
		}
		return chatbot.Status{No: c.No, Label: c.Status.Label(), ReceivedOn: c.ReceivedOn, DueOn: c.DueOn}, nil
	}
	nature := func(text string) gongkai.MessageKind { return cl.ClassifyText("", text, nil).Nature }
	eng, err := chatbot.New(now, file, track, nature)
	if err != nil {
		return nil, err
	}
	return &chatbot.Service{Engine: eng, Sessions: chatStore{a.DB}, Now: now, Log: a.Log.With("part", "chat")}, nil
}

// chatStore keeps chat sessions in SQLite (chatbot.Sessions).
type chatStore struct{ db *store.DB }

func (s chatStore) Load(ctx context.Context, id string, now time.Time) ([]byte, error) {
	var state []byte
	err := s.db.View(ctx, func(tx *store.Tx) error {
		cs, err := tx.ChatSession(id, now)
		if err != nil {
			return err
		}
		state = cs.State
		return nil
	})
	return state, err
}

func (s chatStore) Save(ctx context.Context, id string, state []byte, caseID int64, expires time.Time, lines []chatbot.Line) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SaveChatSession(&store.ChatSession{ID: id, State: state, CaseID: caseID, ExpiresAt: expires}); err != nil {
			return err
		}
		for _, l := range lines {
			if err := tx.AddChatTurn(id, store.ChatTurn{At: l.At, Role: l.Role, Text: l.Text}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s chatStore) Lines(ctx context.Context, id string, now time.Time) ([]chatbot.Line, error) {
	var out []chatbot.Line
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.ChatSession(id, now); err != nil {
			return err
		}
		ts, err := tx.ChatTurns(id)
		for _, t := range ts {
			out = append(out, chatbot.Line{At: t.At, Role: t.Role, Text: t.Text})
		}
		return err
	})
	return out, err
}

func (s chatStore) Sweep(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.SweepChatSessions(now)
		return err
	})
	return int(n), err
}
