package eas

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// TestLargeBodyStreams sends a 3 MiB MIME body from a reader, decodes it
// with spooling, and sends the spooled body on again.
func TestLargeBodyStreams(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef\r\n\x00\xff"), 3<<20/20)
	m := &Email{Body: NewBodyReader(BodyMIME, bytes.NewReader(data), int64(len(data)))}
	doc := encodeAppData(t, m, V161, false)

	dir := t.TempDir()
	d := newAppDataDecoder(t, doc)
	it, err := DecodeItemWith(d, ClassEmail, V161, DecodeOptions{SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := it.(*Email)
	if !got.Body.Spooled() || got.Body.Size() != int64(len(data)) || got.Body.Type != BodyMIME {
		t.Fatalf("body spooled=%v size=%d type=%d", got.Body.Spooled(), got.Body.Size(), got.Body.Type)
	}
	r, err := got.Body.Open()
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(back, data) {
		t.Fatal("spooled data differs")
	}
	// The spooled body goes out again from its file.
	again := roundTrip(t, got, V161, true).(*Email)
	if b, _ := again.Body.Bytes(); !bytes.Equal(b, data) {
		t.Fatal("re-sent spooled body differs")
	}
	if err := ReleaseItem(got); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
	if got.Body.HasData() {
		t.Error("released body still claims data")
	}
}

func TestBodyWithoutData(t *testing.T) {
	b := &Body{Type: BodyHTML, EstimatedDataSize: 5000, Truncated: true}
	got := roundTrip(t, &Note{Body: b}, V141, true).(*Note)
	if got.Body == nil || got.Body.HasData() || got.Body.EstimatedDataSize != 5000 || !got.Body.Truncated {
		t.Errorf("body = %+v", got.Body)
	}
	var nilBody *Body
	if nilBody.Release() != nil || nilBody.Size() != 0 || nilBody.HasData() {
		t.Error("nil body")
	}
	if data, err := nilBody.Bytes(); data != nil || err != nil {
		t.Error("nil body bytes")
	}
	if ReleaseItem(nil) != nil || ReleaseItem((*Email)(nil)) != nil {
		t.Error("nil item release")
	}
}
