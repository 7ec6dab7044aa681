package intake

import "encoding/base64"

// decodeBase64BodyRef is decodeBase64Body as it was before the fast paths
// (one class-table pass into a clean copy, then RawStdEncoding), kept
// verbatim as the reference the fast paths are compared with.
func decodeBase64BodyRef(in []byte) (out []byte, partial bool) {
	clean := make([]byte, len(in))
	out = make([]byte, 0, len(in)*3/4+3)
	n := 0
	for _, c := range in {
		switch b64Class[c] {
		case b64Keep:
			clean[n] = c
			n++
		case b64Minus:
			clean[n] = '+' // URL-safe alphabet
			n++
		case b64Under:
			clean[n] = '/'
			n++
		case b64Pad:
			if n%4 >= 2 {
				out = appendBase64Ref(out, clean[:n])
				n = 0
			}
		}
	}
	rem := n % 4
	if rem != 0 {
		partial = true
		if rem == 1 {
			n--
		}
	}
	before := len(out)
	out = appendBase64Ref(out, clean[:n])
	if len(out)-before != base64.RawStdEncoding.DecodedLen(n) {
		partial = true
	}
	return out, partial
}

func appendBase64Ref(out, src []byte) []byte {
	need := base64.RawStdEncoding.DecodedLen(len(src))
	if cap(out)-len(out) < need {
		grown := make([]byte, len(out), len(out)+need)
		copy(grown, out)
		out = grown
	}
	m, _ := base64.RawStdEncoding.Decode(out[len(out):len(out)+need], src)
	return out[:len(out)+m]
}
