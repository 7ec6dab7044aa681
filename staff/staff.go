// Package staff manages staff accounts and login sessions: password hashing
// (bcrypt), session tokens stored only as hashes, and CSRF tokens bound to the
// session.
package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"gongkai"
	"gongkai/store"
)

// SessionTTL is how long a login lasts without a new login.
const SessionTTL = 12 * time.Hour

// Service is the accounts service.
type Service struct {
	DB *store.DB
	// Cost is the bcrypt cost; tests lower it.
	Cost int
}

func (s *Service) cost() int {
	if s.Cost == 0 {
		return bcrypt.DefaultCost
	}
	return s.Cost
}

// AddUser creates an account with the given roles.
func (s *Service) AddUser(ctx context.Context, username, password string, roles []gongkai.Role, department string) (*gongkai.User, error) {
	username = strings.TrimSpace(username)
	if username == "" || strings.ContainsAny(username, " \t\n/") {
		return nil, gongkai.Errorf(gongkai.EInvalid, "用户名不能为空且不能含空格")
	}
	if utf8.RuneCountInString(password) < 8 {
		return nil, gongkai.Errorf(gongkai.EInvalid, "密码至少8位")
	}
	if len(roles) == 0 {
		return nil, gongkai.Errorf(gongkai.EInvalid, "至少指定一个角色：registrar、handler、approver、admin")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost())
	if err != nil {
		return nil, fmt.Errorf("staff: hash password: %w", err)
	}
	u := &gongkai.User{Username: username, DisplayName: username, Roles: roles, Department: department}
	err = s.DB.Update(ctx, func(tx *store.Tx) error { return tx.CreateUser(u, string(hash)) })
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CountUsers reports how many accounts exist (serve explains how to create
// the first admin when there are none).
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.CountUsers()
		return err
	})
	return n, err
}

// Users lists accounts.
func (s *Service) Users(ctx context.Context) ([]*gongkai.User, error) {
	var us []*gongkai.User
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		us, err = tx.Users()
		return err
	})
	return us, err
}

// Session is a logged-in session: the cookie token and its CSRF token.
type Session struct {
	Token string
	CSRF  string
	User  *gongkai.User
}

// Login checks a password and opens a session. A wrong user and a wrong
// password give the same error.
func (s *Service) Login(ctx context.Context, username, password string) (*Session, error) {
	var sess *Session
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		u, hash, err := tx.UserByUsername(strings.TrimSpace(username))
		if err != nil || !u.Active {
			// Spend the same time as a real check so that timing does not tell which.
			bcrypt.CompareHashAndPassword([]byte("$2a$10$0000000000000000000000uJ3h1lZbH2hYbY6i1q3FzVtq3g1C4Wm"), []byte(password))
			return gongkai.Errorf(gongkai.EUnauthorized, "用户名或密码不正确")
		}
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
			return gongkai.Errorf(gongkai.EUnauthorized, "用户名或密码不正确")
		}
		sess = &Session{Token: randomToken(), CSRF: randomToken(), User: u}
		return tx.CreateSession(hashToken(sess.Token), u.ID, sess.CSRF, tx.Now.Add(SessionTTL))
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// Lookup returns the session of a cookie token.
func (s *Service) Lookup(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, gongkai.ErrNotFound
	}
	var sess *Session
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		u, csrf, err := tx.SessionUser(hashToken(token))
		if err != nil {
			return err
		}
		sess = &Session{Token: token, CSRF: csrf, User: u}
		return nil
	})
	return sess, err
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.DB.Update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(hashToken(token)) })
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Errorf("staff: random token: %w", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}
