package eas

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"strconv"
)

// commandCodes are the command codes of the base64-encoded query value
// (MS-ASHTTP 2.2.1.1.1.1.2).
var commandCodes = map[string]byte{
	"Sync": 0, "SendMail": 1, "SmartForward": 2, "SmartReply": 3,
	"GetAttachment": 4, "FolderSync": 9, "FolderCreate": 10,
	"FolderDelete": 11, "FolderUpdate": 12, "MoveItems": 13,
	"GetItemEstimate": 14, "MeetingResponse": 15, "Search": 16,
	"Settings": 17, "Ping": 18, "ItemOperations": 19, "Provision": 20,
	"ResolveRecipients": 21, "ValidateCert": 22, "Find": 23,
}

// Command parameters of the query (MS-ASHTTP 2.2.1.1.1.2.x). The plain
// form uses the names, the base64 form the tags of 2.2.1.1.1.1.3.
type param struct {
	name  string
	value string
}

var paramTags = map[string]byte{
	"AttachmentName": 0, "CollectionId": 1, "ItemId": 3, "LongId": 4,
	"ParentId": 5, "Occurrence": 6, "User": 8,
}

// plainQuery builds the plain-text query (MS-ASHTTP 2.2.1.1.1.2).
func plainQuery(cmd, user, deviceID, deviceType string, params []param) string {
	q := url.Values{}
	q.Set("Cmd", cmd)
	q.Set("User", user)
	q.Set("DeviceId", deviceID)
	q.Set("DeviceType", deviceType)
	for _, p := range params {
		q.Set(p.name, p.value)
	}
	return q.Encode()
}

// base64Query builds the base64-encoded query value (MS-ASHTTP
// 2.2.1.1.1.1): version, command code, locale, device id, policy key,
// device type, then tagged parameters. The policy key travels here
// instead of the X-MS-PolicyKey header.
func base64Query(v Version, cmd, user, deviceID, deviceType, policyKey string, params []param) (string, error) {
	code, ok := commandCodes[cmd]
	if !ok {
		return "", fmt.Errorf("eas: command %s has no base64 query code", cmd)
	}
	if len(deviceID) > 255 || len(deviceType) > 255 {
		return "", fmt.Errorf("eas: device id or type too long for the base64 query")
	}
	b := []byte{byte(v), code, 0x09, 0x04} // locale en-US, 0x0409 little-endian
	b = append(b, byte(len(deviceID)))
	b = append(b, deviceID...)
	if pk, err := strconv.ParseUint(policyKey, 10, 32); err == nil && pk != 0 {
		b = append(b, 4)
		b = binary.LittleEndian.AppendUint32(b, uint32(pk))
	} else {
		b = append(b, 0)
	}
	b = append(b, byte(len(deviceType)))
	b = append(b, deviceType...)
	var options byte
	add := func(tag byte, val string) error {
		if len(val) > 255 {
			return fmt.Errorf("eas: query parameter too long for the base64 query")
		}
		b = append(b, tag, byte(len(val)))
		b = append(b, val...)
		return nil
	}
	if user != "" {
		if err := add(paramTags["User"], user); err != nil {
			return "", err
		}
	}
	for _, p := range params {
		switch p.name {
		case "SaveInSent":
			if p.value == "T" {
				options |= 0x01
			}
			continue
		}
		tag, ok := paramTags[p.name]
		if !ok {
			return "", fmt.Errorf("eas: query parameter %s has no base64 tag", p.name)
		}
		if err := add(tag, p.value); err != nil {
			return "", err
		}
	}
	if options != 0 {
		b = append(b, 7, 1, options)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
