package staff

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"gongkai"
	"gongkai/store"
)

func newService(t *testing.T, now *time.Time) *Service {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return *now }
	return &Service{DB: db, Cost: 4}
}

func TestAddUserValidation(t *testing.T) {
	now := time.Now()
	s := newService(t, &now)
	ctx := context.Background()
	tests := []struct {
		name, pw string
		roles    []gongkai.Role
		kind     string
	}{
		{"li", "short", []gongkai.Role{gongkai.RoleHandler}, gongkai.EInvalid},
		{"li ming", "long-enough", []gongkai.Role{gongkai.RoleHandler}, gongkai.EInvalid},
		{"li", "long-enough", nil, gongkai.EInvalid},
		{"li", "long-enough", []gongkai.Role{gongkai.RoleHandler}, ""},
		{"li", "long-enough", []gongkai.Role{gongkai.RoleHandler}, gongkai.EConflict}, // duplicate
	}
	for _, tt := range tests {
		_, err := s.AddUser(ctx, tt.name, tt.pw, tt.roles, "")
		if got := kindOf(err); got != tt.kind {
			t.Errorf("AddUser(%q, %q, %v): kind %q (%v), want %q", tt.name, tt.pw, tt.roles, got, err, tt.kind)
		}
	}
}

func kindOf(err error) string {
	if err == nil {
		return ""
	}
	return gongkai.ErrorKind(err)
}

func TestLoginSessionLifecycle(t *testing.T) {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	s := newService(t, &now)
	ctx := context.Background()
	if _, err := s.AddUser(ctx, "reg", "correct-horse", []gongkai.Role{gongkai.RoleRegistrar}, ""); err != nil {
		t.Fatal(err)
	}
	_, errWrongPw := s.Login(ctx, "reg", "wrong-password")
	_, errNoUser := s.Login(ctx, "nobody", "wrong-password")
	if gongkai.ErrorMessage(errWrongPw) != gongkai.ErrorMessage(errNoUser) || kindOf(errWrongPw) != gongkai.EUnauthorized {
		t.Errorf("wrong password %v and unknown user %v must give the same answer", errWrongPw, errNoUser)
	}
	sess, err := s.Login(ctx, "reg", "correct-horse")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Lookup(ctx, sess.Token)
	if err != nil || got.User.Username != "reg" || got.CSRF != sess.CSRF || !got.User.Has(gongkai.RoleRegistrar) {
		t.Fatalf("Lookup: %+v %v", got, err)
	}
	if _, err := s.Lookup(ctx, sess.Token+"x"); kindOf(err) != gongkai.ENotFound {
		t.Errorf("forged token: %v", err)
	}
	now = now.Add(SessionTTL + time.Minute)
	if _, err := s.Lookup(ctx, sess.Token); kindOf(err) != gongkai.ENotFound {
		t.Errorf("expired session still valid: %v", err)
	}
	sess2, _ := s.Login(ctx, "reg", "correct-horse")
	if err := s.Logout(ctx, sess2.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, sess2.Token); kindOf(err) != gongkai.ENotFound {
		t.Errorf("session alive after logout: %v", err)
	}
}
