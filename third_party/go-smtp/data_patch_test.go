package smtp

// Tests of the gongkai patch to dataReader.Read (PATCHES.md): the fast path
// must give exactly what the byte-by-byte state machine gives, for any
// input, any split of the input into network reads, any caller buffer size
// and any message size limit.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand"
	"testing"
)

// refRead is the unpatched state machine (go-smtp v0.25.1 data.go).
func refRead(r *dataReader, b []byte) (n int, err error) {
	if r.limited {
		if r.n <= 0 {
			return 0, ErrDataTooLarge
		}
		if int64(len(b)) > r.n {
			b = b[0:r.n]
		}
	}
	const (
		stateBeginLine = iota
		stateDot
		stateDotCR
		stateCR
		stateData
		stateEOF
	)
	for n < len(b) && r.state != stateEOF {
		var c byte
		c, err = r.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			break
		}
		switch r.state {
		case stateBeginLine:
			if c == '.' {
				r.state = stateDot
				continue
			}
			if c == '\r' {
				r.state = stateCR
				break
			}
			r.state = stateData
		case stateDot:
			if c == '\r' {
				r.state = stateDotCR
				continue
			}
			r.state = stateData
		case stateDotCR:
			if c == '\n' {
				r.state = stateEOF
				continue
			}
			r.state = stateData
		case stateCR:
			if c == '\n' {
				r.state = stateBeginLine
				break
			}
			r.state = stateData
		case stateData:
			if c == '\r' {
				r.state = stateCR
			}
		}
		b[n] = c
		n++
	}
	if err == nil && r.state == stateEOF {
		err = io.EOF
	}
	if r.limited {
		r.n -= int64(n)
	}
	return
}

// chunkReader returns the input in pieces of random sizes, as a network
// connection does.
type chunkReader struct {
	data []byte
	rnd  *rand.Rand
	max  int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := 1 + c.rnd.Intn(c.max)
	k = min(k, len(p), len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

type readResult struct {
	out  []byte
	err  error
	rest []byte // what is left on the connection after DATA
}

func drive(input []byte, seed int64, chunk, bufSize, bufioSize int, limit int64, read func(*dataReader, []byte) (int, error)) readResult {
	rnd := rand.New(rand.NewSource(seed))
	br := bufio.NewReaderSize(&chunkReader{data: input, rnd: rnd, max: chunk}, bufioSize)
	dr := &dataReader{r: br}
	if limit > 0 {
		dr.limited, dr.n = true, limit
	}
	var out bytes.Buffer
	var err error
	buf := make([]byte, bufSize)
	for {
		var k int
		k, err = read(dr, buf[:1+rnd.Intn(bufSize)])
		out.Write(buf[:k])
		if err != nil {
			break
		}
	}
	rest, _ := io.ReadAll(br)
	return readResult{out.Bytes(), err, rest}
}

// pieces that exercise every state: dots at line starts, CR without LF,
// LF without CR, the terminator and near-terminators.
var pieces = []string{"a", "hello world ", "\r\n", "\r", "\n", ".", "..", ".\r", ".\r\n", "\r\n.\r\n", "\r\n..\r\n", "\r\r\n", "x\r.y", "\xe4\xb8\xad", "QUIT\r\n"}

func randomInput(rnd *rand.Rand) []byte {
	var b bytes.Buffer
	for range rnd.Intn(60) {
		b.WriteString(pieces[rnd.Intn(len(pieces))])
	}
	if rnd.Intn(4) > 0 {
		b.WriteString("\r\n.\r\n")
	}
	b.WriteString("RSET\r\n")
	return b.Bytes()
}

func TestDataReaderPatchEquivalent(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	for i := range 20000 {
		in := randomInput(rnd)
		seed := rnd.Int63()
		chunk := 1 + rnd.Intn(40)
		bufSize := 1 + rnd.Intn(64)
		bufioSize := 16 + rnd.Intn(64)
		var limit int64
		if rnd.Intn(3) == 0 {
			limit = int64(rnd.Intn(len(in) + 1))
		}
		want := drive(in, seed, chunk, bufSize, bufioSize, limit, refRead)
		got := drive(in, seed, chunk, bufSize, bufioSize, limit, (*dataReader).Read)
		if !bytes.Equal(got.out, want.out) || !errors.Is(got.err, want.err) && got.err != want.err || !bytes.Equal(got.rest, want.rest) {
			t.Fatalf("case %d (chunk %d, buf %d, limit %d) input %q:\n got  %q, %v, rest %q\n want %q, %v, rest %q",
				i, chunk, bufSize, limit, in, got.out, got.err, got.rest, want.out, want.err, want.rest)
		}
	}
}

func BenchmarkDataReader(b *testing.B) {
	b.Run("patched", func(b *testing.B) { benchRead(b, (*dataReader).Read) })
	b.Run("unpatched", func(b *testing.B) { benchRead(b, refRead) })
}

// benchRead reads a 30 KB base64 body, the usual shape of a letter with an
// attachment.
func benchRead(b *testing.B, read func(*dataReader, []byte) (int, error)) {
	line := []byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n")
	msg := append(bytes.Repeat(line, 400), ".\r\n"...)
	b.SetBytes(int64(len(msg)))
	buf := make([]byte, 32<<10)
	br := bufio.NewReader(nil)
	for b.Loop() {
		br.Reset(bytes.NewReader(msg))
		dr := &dataReader{r: br}
		for {
			if _, err := read(dr, buf); err != nil {
				break
			}
		}
	}
}

// FuzzDataReaderPatch: any input, any split into network reads and caller
// buffers, any limit: the patched reader agrees with the original.
func FuzzDataReaderPatch(f *testing.F) {
	for _, s := range []string{"a\r\n.\r\n", "..x\r\n.\r\n", "\r\r\n.\r\n", "x\ry\n.\r\n", ".\r\n", "abc"} {
		f.Add([]byte(s), int64(1), uint8(3), uint8(7), uint16(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, seed int64, chunk, buf uint8, limit uint16) {
		c, b := 1+int(chunk%64), 1+int(buf%64)
		want := drive(in, seed, c, b, 16, int64(limit), refRead)
		got := drive(in, seed, c, b, 16, int64(limit), (*dataReader).Read)
		if !bytes.Equal(got.out, want.out) || got.err != want.err && !errors.Is(got.err, want.err) || !bytes.Equal(got.rest, want.rest) {
			t.Fatalf("input %q (chunk %d, buf %d, limit %d):\n got  %q, %v, rest %q\n want %q, %v, rest %q",
				in, c, b, limit, got.out, got.err, got.rest, want.out, want.err, want.rest)
		}
	})
}
