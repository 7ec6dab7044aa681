//go:build race

package classifier

// raceEnabled: the race detector slows the randomized equivalence tests
// ~10×; under it they run fewer rounds (the fuzz targets and plain
// `go test` run the full count).
const raceEnabled = true
