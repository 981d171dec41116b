// Package oauth signs easbridge in to Microsoft 365 (Exchange Online) with
// OAuth 2.0 on the Microsoft identity platform (v2.0 endpoints), keeps the
// tokens, and hands fresh access tokens to the EAS client.
//
// Two flows obtain the first tokens: the authorization code flow with PKCE
// (RFC 7636, S256) and a loopback redirect (RFC 8252 7.3), for machines
// with a browser, and the device authorization grant (RFC 8628), for
// headless machines. Both ask for the EAS.AccessAsUser.All scope of
// Exchange Online and offline_access, so a refresh token comes back.
//
// A Source caches the access token, refreshes it a few minutes before it
// expires with at most one request in flight per account, and saves the
// rotated refresh token before it uses the new access token. When the
// identity provider refuses the refresh token (Conditional Access, revoked
// consent, a tenant that blocks the client id, ...) the Source returns an
// *Error that carries the AADSTS code and one sentence for the user, and it
// stays failed, without asking the identity provider again, until a new
// Login stores new tokens.
//
// The refusal is also saved with the tokens (Token.Refused), so that
// `easbridge status` can show it and a restarted daemon does not ask
// again. The daemon wraps its Source in a Parking: on a refusal it reports
// once and then holds the account's requests, re-reading only the token
// store, until a login stores new tokens, and carries on with them.
//
// Source satisfies eas.TokenRefresher structurally (Token and Refresh), so
// this package does not import eas: eas.Bearer{Source: src}.
//
// No default client id is built in: easbridge has no application
// registration of its own in Microsoft Entra ID, and borrowing another
// program's registration would misrepresent the program to tenant admins.
// Config.ClientID must name an application registered as a public client
// (see README, "Signing in to Microsoft 365").
package oauth
