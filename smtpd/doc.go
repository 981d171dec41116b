// Package smtpd is easbridge's SMTP submission server (RFC 6409) on
// loopback: Thunderbird, mutt or curl submit mail to it, and each
// accepted message is handed to a Sender (in the daemon, EAS SendMail).
// It imports nothing of easbridge: the engine supplies the Sender and,
// for mail that cannot go now, a Spool.
//
// # Authentication
//
// AUTH PLAIN (RFC 4954) with the local user and password, compared in
// constant time. AUTH is allowed without TLS because the server listens
// on loopback only (New refuses any other address): the password never
// leaves the host. Mail before AUTH is refused with 530.
//
// # What the client is told
//
// The message is read into a temp file (bounded by MaxMessageBytes, 552
// beyond), its header block is checked (554 5.6.0 if it is not RFC 5322),
// and Sender.Send is called with the envelope:
//   - nil: 250 2.0.0 "sent";
//   - an error marked Permanent (the server refused the message, say an
//     invalid recipient or a size limit): 554 5.7.0 with the reason, and
//     nothing is kept: the client shows the error and keeps its copy;
//   - any other error (server unreachable, throttled, auth expired): the
//     message is handed to the Spool, which keeps it in the Outbox for the
//     engine to send later, and the client gets 250 2.0.0 "queued"; the
//     message is not lost, and the client does not retry it. Only if the
//     Spool fails too (or there is none) the client gets 451 4.3.0 and
//     keeps the message to retry itself.
//
// So nothing is ever dropped silently: each message is either sent,
// refused with a reason the user sees, waiting in the Outbox, or still
// in the client with a temporary error.
package smtpd
