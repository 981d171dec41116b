package wbxml

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// syncResponse encodes a Sync response with n mails whose bodies are
// bodySize bytes: every fourth body as opaque data, the others as inline
// strings ([MS-ASCMD] 2.2.1.21, [MS-ASEMAIL], [MS-ASAIRS] Body).
func syncResponse(tb testing.TB, n, bodySize int) []byte {
	tb.Helper()
	body := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", bodySize/57+1)[:bodySize]
	var buf bytes.Buffer
	buf.Grow(n * (bodySize + 600))
	e := NewEncoder(&buf)
	e.Start(AirSyncSync)
	e.Start(AirSyncCollections)
	e.Start(AirSyncCollection)
	e.Element(AirSyncSyncKey, "42")
	e.Element(AirSyncCollectionId, "5")
	e.Element(AirSyncStatus, "1")
	e.Start(AirSyncCommands)
	for i := range n {
		e.Start(AirSyncAdd)
		e.Element(AirSyncServerId, fmt.Sprintf("5:%d", i))
		e.Start(AirSyncApplicationData)
		e.Element(EmailTo, `"Bob Example" <bob@example.com>`)
		e.Element(EmailFrom, `"Alice Example" <alice@example.com>`)
		e.Element(EmailSubject, fmt.Sprintf("Quarterly report, part %d", i))
		e.Element(EmailDateReceived, "2026-11-21T10:00:00.000Z")
		e.Element(EmailDisplayTo, "Bob Example")
		e.Element(EmailThreadTopic, "Quarterly report")
		e.Element(EmailImportance, "1")
		e.Element(EmailRead, "0")
		e.Start(AirSyncBaseBody)
		e.Element(AirSyncBaseType, "1")
		e.Element(AirSyncBaseEstimatedDataSize, fmt.Sprint(bodySize))
		e.Start(AirSyncBaseData)
		if i%4 == 0 {
			e.Opaque([]byte(body))
		} else {
			e.Text(body)
		}
		e.End()
		e.End()
		e.Element(EmailMessageClass, "IPM.Note")
		e.Element(EmailInternetCPID, "65001")
		e.Element(AirSyncBaseNativeBodyType, "1")
		e.Element(Email2ConversationId, "AbCdEf0123456789")
		e.End()
		e.End()
	}
	for range 4 {
		e.End()
	}
	if err := e.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
