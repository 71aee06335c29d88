package catalog

// foreign is the date the verdicts were checked by hand on session
// libraries nobody on the project wrote (PHP 8.2, Django 3.2,
// Flask-Session 0.3.2 and plain Flask with Werkzeug's hasher, Go libraries).
const foreign = "2026-12-06"

// topologies is the date the Redis Sentinel and Cluster profiles arrived
// (issue 14).
const topologies = "2026-12-07"

var (
	all        = []Profile{Filesystem, Redis, Cookie, RedisSentinel, RedisCluster}
	server     = []Profile{Filesystem, Redis, RedisSentinel, RedisCluster}
	redisLike  = []Profile{Redis, RedisSentinel, RedisCluster}
	noStore    = "cookie mode keeps the session in the cookie: there is no server-side record to"
	byDesign   = map[Profile]string{Cookie: noStore + " act on"}
	cookieOnly = "profile switching is tested in the cookie profile, where the switch lands"
)

func notFor(p Profile, why string) map[Profile]string { return map[Profile]string{p: why} }

// Why the topologies' own requirements apply nowhere else.
var (
	sentinelOnly = map[Profile]string{
		Filesystem:   "a session directory has no master to fail over",
		Cookie:       noStore + " fail over",
		Redis:        "one Redis server has no replica to promote; the redis-sentinel profile checks failover",
		RedisCluster: "the harness's cluster has no replicas (a stopped master's slots wait for it: ROBUST-2 and ROBUST-3 there); Sentinel failover is the redis-sentinel profile's",
	}
	clusterOnly = map[Profile]string{
		Filesystem:    "hash slots and nodes are a Redis Cluster concern",
		Cookie:        noStore + " spread over nodes",
		Redis:         "one Redis server holds every key; the redis-cluster profile spreads them over masters",
		RedisSentinel: "a Sentinel topology has one master that holds every key",
	}
)

// requirements is the catalog. IDs are stable: never renumber, only add.
var requirements = []Requirement{
	// Persistence
	{ID: "PERSIST-1", Level: Must, Profiles: all, Title: "Survives a graceful restart",
		Text:   "An authenticated session stays valid across a graceful stop and start of the server with unchanged configuration.",
		Source: "Quick Start; flask-login #235"},
	{ID: "PERSIST-2", Level: Must, Profiles: all, Title: "Survives a crash",
		Text:   "An authenticated session stays valid after the server is killed (SIGKILL) and started again, including a session whose login response was sent just before the kill; no torn or leftover temporary records remain.",
		Source: "Quick Start; cachelib FileSystemCache"},
	{ID: "PERSIST-3", Level: Should, Profiles: all, Title: "A restart neither extends nor resets a session",
		Text:   "After a restart a session keeps its data and its original expiry.",
		Source: "derived from LIFE-1 and LIFE-5"},
	{ID: "PERSIST-4", Level: Must, Profiles: all, Needs: MultiInstance, Title: "Sessions are shared across instances",
		Text:   "A session created through instance A is accepted by instance B of the same store, also after A is stopped.",
		Source: "Quick Start (Redis scales across servers)"},
	{ID: "PERSIST-5", Level: Must, Profiles: server, Needs: MultiInstance, Title: "Logout or clear takes effect on every instance",
		Text:          "Logging out through instance B, or clearing the store, invalidates the session on instance A at once; no instance serves a locally cached session.",
		NotApplicable: notFor(Cookie, "cookie sessions have no shared state to revoke: a logout on one instance cannot reach a cookie another instance accepts"),
		Source:        "ASVS5 7.4.1; Quick Start"},
	{ID: "PERSIST-6", Level: Should, Profiles: server, Title: "No eviction before the lifetime ends",
		Text:          "An authenticated session stays valid for its whole lifetime while at least 1,000 other sessions and anonymous requests arrive.",
		NotApplicable: notFor(Cookie, noStore+" evict"),
		Source:        "Flask-Session SESSION_FILE_THRESHOLD; FS #19",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "The other sessions are as many logins as the login cost allows (100 to 600), besides the 1,000 anonymous visits; the load only has to arrive.", Why: "With a PBKDF2-260k login, 600 logins ended in a spec timeout."},
			{Date: "2026-12-07", What: "spec", Change: "The load is the requirement's 1,000 requests (the logins the login cost allows, 100 to 600, the rest anonymous visits, spread evenly), no longer 1,000 visits on top of the logins; it stops where the spec could no longer finish, and a load not sent by then is an error saying so, never a bare spec timeout.", Why: "In a full Django run on a busy machine the load was still running at the spec timeout (787 requests unsent), an error that named no cause."},
		}},
	{ID: "PERSIST-7", Level: Should, Profiles: server, Title: "Empty anonymous sessions create no records",
		Text:          "Requests that store no session data create no server-side record.",
		NotApplicable: notFor(Cookie, noStore+" count"),
		Source:        "Flask-Session 0.6.0; FS #19, #181"},

	// Lifetime and expiry
	{ID: "LIFE-1", Level: Must, Profiles: all, Title: "The server enforces expiry",
		Text:   "A session cookie replayed more than the lifetime plus tolerance after login is unauthenticated, whatever the cookie's own expiry says.",
		Source: "ASVS4 3.3.1; ASVS5 7.4.1; WSTG-SESS-07; RFC 6265bis 4.1.2.1"},
	{ID: "LIFE-2", Level: Must, Profiles: all, Title: "Sessions do not expire early",
		Text:   "A session is still valid shortly before its lifetime ends.",
		Source: "Quick Start",
		Revisions: []Revision{
			{Date: "2026-12-07", What: "spec", Change: "A check sent later than a quarter of the tolerance before the end is an error (the harness was late), not a failure.", Why: "On a loaded machine a request meant for shortly before the end can go out after it, and the spec failed the target for the suite's own lateness."},
		}},
	{ID: "LIFE-3", Level: Must, Profiles: all, Title: "Default lifetime and configuration",
		Text:   "Without configuration the lifetime is 7 days; a configured lifetime is honoured.",
		Source: "Quick Start",
		Revisions: []Revision{
			{Date: foreign, What: "text", Change: "The 400-day cap moved to LIFE-9 (SHOULD); LIFE-3 keeps the 7-day default and the configured lifetime.", Why: "Five of five real libraries neither refuse nor cap a 401-day lifetime, and browsers cap cookies at 400 days by themselves: the cap is good practice, not the MUST that the default lifetime is."},
		}},
	{ID: "LIFE-4", Level: Must, Profiles: all, Title: "Cookie expiry matches server expiry",
		Text:   "The login response's session cookie is persistent and its expiry is within tolerance of the server-side expiry; Max-Age and Expires, when both present, agree.",
		Source: "Quick Start; RFC 6265bis 4.1.2.1-2; scs #251",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "The browser spec checks cookie/server agreement at the 1 s resolution of cookie dates, allowing a refresh up to the check; absolute lifetime is LIFE-5's.", Why: "It failed by about a second a target whose cookie and server expiry both slide from the last answer (they agree); the HTTP spec passed it."},
			{Date: "2026-12-07", What: "spec", Change: "The check before the cookie's expiry is an error, not a failure, when the harness reaches it too late (HTTP: sent later than a quarter of the tolerance before the expiry; browser: after the tolerance before it); the browser spec keeps its browser slot through waits too short to lend it.", Why: "CI failed the reference once: the browser spec lent its slot for a 3.6 s wait, queued 2.6 s to get it back, and reloaded 0.9 s after the cookie had expired."},
		}},
	{ID: "LIFE-5", Level: Should, Profiles: all, Title: "Absolute lifetime",
		Text:   "Whatever the activity, a session ends no later than its absolute lifetime after login; activity does not extend it.",
		Source: "ASVS4 3.3.2; ASVS5 7.3.2; OWASP CS Absolute Timeout",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "The lifetime is counted from the login's answer, not from before the login page was loaded.", Why: "A Django login that hashes a password for 0.8 s under load starts the session that much later; the spec failed it for the time of its own request."},
		}},
	{ID: "LIFE-6", Level: May, Profiles: all, Needs: IdleTimeout, Title: "Idle timeout",
		Text:   "With an idle timeout shorter than the lifetime, a session unused for longer than the idle timeout is rejected, while requests within it keep the session alive.",
		Source: "ASVS5 7.3.1; WSTG-SESS-07"},
	{ID: "LIFE-7", Level: Must, Profiles: redisLike, Title: "Every session key has a bounded TTL",
		Text:          "Every session key in Redis has a TTL that is positive and at most the remaining lifetime plus tolerance, and is gone after expiry.",
		NotApplicable: map[Profile]string{Filesystem: "TTLs are a Redis concept; LIFE-8 covers the directory", Cookie: noStore + " expire"},
		Source:        "Quick Start; Flask-Session RedisSessionInterface (SETEX)"},
	{ID: "LIFE-8", Level: Should, Profiles: []Profile{Filesystem}, Title: "Expired records are deleted",
		Text:          "Expired session files are removed within the lifetime plus the declared cleanup interval, and the cleanup leaves live sessions and their files alone, run after run.",
		NotApplicable: map[Profile]string{Redis: "Redis expires keys itself; LIFE-7 covers it", RedisSentinel: "Redis expires keys itself; LIFE-7 covers it", RedisCluster: "Redis expires keys itself; LIFE-7 covers it", Cookie: noStore + " delete"},
		Source:        "Quick Start; FS #81; cachelib 0.3.0; gorilla/sessions #65",
		Revisions: []Revision{
			{Date: foreign, What: "text and spec", Change: "Once expired files are gone, a live session (20 s lifetime) must keep its file and stay logged in through three cleanup runs.", Why: "A janitor that deletes every record (everyone logged out every interval) passed every requirement (mutant janitor-wipes-live)."},
		}},
	{ID: "LIFE-9", Level: Should, Profiles: all, Title: "Lifetimes beyond what browsers keep are refused or capped",
		Text:   "A configured lifetime above 400 days is refused when the server starts (it exits with an error) or capped at 400 days, so the server never promises a cookie that browsers shorten by themselves.",
		Source: "RFC 6265bis 5.5 (user agents cap cookie lifetimes at 400 days); split from LIFE-3 on 2026-12-06",
		Revisions: []Revision{
			{Date: foreign, What: "text and spec", Change: "New, split from LIFE-3. Only an exit of the server's own with an error status before it is ready counts as refusing; a start timeout, a crash by a signal or a busy port is an error; the capped branch must see a session cookie.", Why: "LIFE-3 passed any target that failed to start for any reason."},
		}},

	// Clearing and logout
	{ID: "CLEAR-1", Level: Must, Profiles: server, Title: "Clearing the store logs everyone out, and service continues",
		Text:          "After every record is removed from the store, each previously valid cookie is unauthenticated without a restart and without a 5xx, and new logins work and persist across a restart.",
		NotApplicable: notFor(Cookie, noStore+" clear; rotating the key is the only global logout"),
		Source:        "Quick Start (rm -rf flask_session/*)"},
	{ID: "CLEAR-2", Level: Should, Profiles: server, Title: "Session records are scoped",
		Text:          "Session records live under the declared directory or key prefix, so deleting by prefix clears every session without touching unrelated data.",
		NotApplicable: byDesign,
		Source:        "Flask-Session SESSION_KEY_PREFIX; scs redisstore"},
	{ID: "CLEAR-3", Level: Must, Profiles: server, Title: "Logout invalidates the session on the server",
		Text:          "After logout, replaying the cookie from before the logout gives an unauthenticated session.",
		NotApplicable: notFor(Cookie, "cookie sessions cannot be revoked by the server: a replayed cookie works until its own deadline (pallets/flask #3900)"),
		Source:        "ASVS4 3.3.1; ASVS5 7.4.1; WSTG-SESS-06",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "The logout carries the CSRF token the manifest names (hidden input, meta tag or cookie); a refused logout (4xx) is an error naming the refusal, never a verdict.", Why: "A CSRF-protected app (Rails, Django, PHP) refused the harness's token-less logout with 403/422, and CLEAR-3, CLEAR-4, CLEAR-5 and PERSIST-5 then failed it for not logging out."},
		}},
	{ID: "CLEAR-4", Level: Should, Profiles: server, Title: "Logout deletes the record",
		Text:          "No store record of a logged-out session remains.",
		NotApplicable: byDesign,
		Source:        "ASVS5 7.4.1; scs Destroy"},
	{ID: "CLEAR-5", Level: Must, Profiles: all, Title: "Logout clears the browser cookie",
		Text:   "The logout response deletes the session cookie (Max-Age=0 or a past Expires) or replaces it with a fresh, anonymous session ID, with the same name, Path and Domain (and Secure for Secure or prefixed cookies); whatever value it leaves (empty, or a placeholder such as PHP's \"deleted\") logs nobody in.",
		Source: "RFC 6265bis 3.1, 4.1.3.2; WSTG-SESS-06",
		Revisions: []Revision{
			{Date: foreign, What: "text and spec", Change: "The deletion cookie's value is no longer required to be empty: it must log nobody in, and a fresh anonymous ID in place of the old one keeps the promise too. Name, Path, Domain and Secure must still match.", Why: "PHP deletes with PHPSESSID=deleted and Max-Age=0; browsers delete it (the browser suite passed it) and the HTTP spec failed it for the value alone."},
		}},
	{ID: "CLEAR-6", Level: Should, Profiles: all, Title: "No cached authenticated pages",
		Text:   "Authenticated pages are served with Cache-Control: no-store, so Back and Reload after logout show no user data.",
		Source: "OWASP CS Web Content Caching; WSTG-SESS-06; ASVS4 3.3.1"},
	{ID: "CLEAR-7", Level: Should, Profiles: server, Title: "In-flight requests cannot bring a session back",
		Text:          "Requests that loaded the session before a logout and finish after it do not re-create the session.",
		NotApplicable: byDesign,
		Source:        "FS #71, #149; ASVS5 15.4.2",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "The logout's CSRF token is read before the race; a refused logout (4xx) is an error; the number of trials follows the login cost (10 to 30).", Why: "A logout refused for its CSRF token was counted as completed, so 30 of 30 sessions \"came back\"."},
		}},
	{ID: "CLEAR-8", Level: May, Profiles: server, Needs: Independent, Title: "Sessions on different devices are independent",
		Text:          "Two logins of the same account get distinct sessions, and logging out one leaves the other valid.",
		NotApplicable: byDesign,
		Source:        "WSTG-SESS-11; ASVS5 7.1.2"},

	// Token security
	{ID: "TOKEN-1", Level: Must, Profiles: server, Title: "At least 64 bits of entropy, and unique",
		Text:          "Session IDs carry at least 64 bits of entropy and never repeat.",
		NotApplicable: notFor(Cookie, "the cookie value is the sealed session, not a random ID"),
		Source:        "ASVS4 3.2.2, 3.2.4; WSTG-SESS-01",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "The sample is sized to the IDs' alphabet (5 IDs per character, 100 to 400), topped up with anonymous visits when they yield IDs, and each position is credited what a uniformity test shows (see TOKEN-2).", Why: "With realistic password hashes 400 logins per spec cost minutes and ended in spec timeouts."},
			{Date: "2026-12-07", What: "spec", Change: "The sample (TOKEN-1 and TOKEN-2) stops starting logins where the spec would no longer have time to finish them and judge, and a sample cut short that way is an error naming what was collected and the login cost.", Why: "On a busy machine a Django sample ran into the spec timeout, whose error named no cause."},
		}},
	{ID: "TOKEN-2", Level: Should, Profiles: server, Title: "At least 128 bits of entropy",
		Text:          "Session IDs carry at least 128 bits of entropy.",
		NotApplicable: notFor(Cookie, "the cookie value is the sealed session, not a random ID"),
		Source:        "ASVS5 7.2.3; OWASP CS Session ID Entropy",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "Entropy is credited per position from a chi-square uniformity test at 1e-6 (log2 of the alphabet, or of the values a position takes), not summed Shannon estimates: a true 128-bit ID gets exactly 128 bits; one bit short (mutant ids-127bit) fails.", Why: "A 32-hex-digit SecureRandom ID (exactly 128 bits) failed \"about 128 bits, fewer than 128\": the old estimate was biased low at its own threshold."},
			{Date: "2026-12-07", What: "spec", Change: "The uniformity test runs at 1e-8, not 1e-6: at the smallest samples the chi-square tail is heavier than its law, and simulation measured 2.9e-6 per hex position at 1e-6 nominal, so a true 128-bit hex ID failed about once in 10,000 runs; at 1e-8 it is 5e-8 per position, about once in 600,000 runs. An ID one bit short still always fails (its restricted position scores at least 80 against a critical value of 68).", Why: "The unit test that demands 128 bits for true 128-bit IDs failed once in a clean-clone CI run (127.7 bits credited)."},
		}},
	{ID: "TOKEN-3", Level: Must, Profiles: server, Title: "A new ID is issued at login",
		Text:          "A successful login issues a session ID different from any ID the client presented before.",
		NotApplicable: notFor(Cookie, "a cookie-mode login always produces a new sealed value"),
		Source:        "ASVS4 3.2.1; ASVS5 7.2.4; WSTG-SESS-03; RFC 6265bis 8.4"},
	{ID: "TOKEN-4", Level: Must, Profiles: server, Title: "The pre-login ID is dead after login",
		Text:          "The session ID presented before a login gives no authenticated access after it.",
		NotApplicable: notFor(Cookie, "cookie sessions cannot be revoked by the server"),
		Source:        "ASVS5 7.2.4; WSTG-SESS-03"},
	{ID: "TOKEN-5", Level: Must, Profiles: server, Title: "Strict IDs",
		Text:          "The server never adopts an ID it did not issue, or one that was logged out, cleared or expired, on any request: it neither sets it back nor keeps a record under it, and a login with such a cookie produces a fresh ID.",
		NotApplicable: notFor(Cookie, "the cookie value is the sealed session, not an ID to adopt"),
		Source:        "OWASP CS Permissive and Strict; CVE-2024-38513; Flask-Session 0.7.0",
		Revisions: []Revision{
			{Date: foreign, What: "text and spec", Change: "Adoption is looked for on every request, in the store: a record named by a presented ID, or one that appears or is rewritten while no new ID is issued, for forged, logged-out, cleared and expired IDs.", Why: "PHP with its default session.use_strict_mode=0 creates sess_<ID> for any ID a client presents and sends no Set-Cookie, then rotates at login, so the spec passed it (mutant adopt-on-visit)."},
		}},
	{ID: "TOKEN-6", Level: Must, Profiles: all, Title: "Tampering gives nothing",
		Text:   "Any change to the session cookie that changes what it decodes to (flipped bits, truncation, a stripped or swapped signature) gives an unauthenticated session, never another user's, never a 5xx; appended base64 padding or hex digits in another case decode to the same value and are no tampering.",
		Source: "Quick Start; ASVS4 3.5.3; ASVS5 9.1.1",
		Revisions: []Revision{
			{Date: foreign, What: "text and spec", Change: "A mutation counts as tampering only when it changes what the value decodes to: base64 padding appended, or hex digits in another case, are not sent.", Why: "Appending padding to an itsdangerous signature decodes to the same bytes and gives the user's own session; the spec failed it as tampering that gives something."},
		}},
	{ID: "TOKEN-7", Level: Must, Profiles: server, Title: "IDs are never used unsafely as paths or keys",
		Text:          "Hostile cookie values (traversal, NUL, CR/LF, 8 KiB, non-UTF-8, glob characters) never touch anything outside the store, never affect other sessions and never cause a 5xx.",
		NotApplicable: notFor(Cookie, "the cookie value never names a store entry"),
		Source:        "ASVS4 12.3.1; GO-2024-2730 (gorilla/sessions #275)"},
	{ID: "TOKEN-8", Level: Must, Profiles: all, Title: "Tokens stay out of URLs",
		Text:   "The session token never appears in a URL, Location header or page body, and is not accepted from the query string.",
		Source: "ASVS4 3.1.1; WSTG-SESS-04"},
	{ID: "TOKEN-9", Level: Should, Profiles: all, Title: "The cookie value is opaque",
		Text:   "Decoding the cookie value (base64, zlib, JSON) reveals no user data such as the email, name or user id.",
		Source: "OWASP CS Session ID Content"},
	{ID: "TOKEN-10", Level: Should, Profiles: server, Title: "Records use a data-only format",
		Text:          "Store records are not language-native object serialisations (pickle and the like).",
		NotApplicable: byDesign,
		Source:        "ASVS4 5.5.3; CVE-2021-33026; Flask-Session 0.7.0"},
	{ID: "TOKEN-11", Level: May, Profiles: server, Needs: HashedKeys, Title: "Store keys are hashes of the token",
		Text:          "The raw cookie value appears in no store key or file name.",
		NotApplicable: byDesign,
		Source:        "CVE-2019-16782; scs HashTokenInStore"},
	{ID: "TOKEN-12", Level: Must, Profiles: []Profile{Filesystem}, Title: "Session files are private on disk",
		Text:          "Session files have no group or other permissions and the session directory is not world-writable.",
		NotApplicable: map[Profile]string{Redis: "Redis keeps no session files", RedisSentinel: "Redis keeps no session files", RedisCluster: "Redis keeps no session files", Cookie: noStore + " protect"},
		Source:        "Flask-Session SESSION_FILE_MODE; gorilla FilesystemStore"},

	// Cookie attributes
	{ID: "COOKIE-1", Level: Must, Profiles: all, Title: "HttpOnly",
		Text:   "Every Set-Cookie of the session cookie carries HttpOnly.",
		Source: "ASVS4 3.4.2; ASVS5 3.3.4; WSTG-SESS-02"},
	{ID: "COOKIE-2", Level: Must, Profiles: all, Needs: Production, Title: "Secure in production",
		Text:   "In production every Set-Cookie of the session cookie (login, refresh, logout) carries Secure.",
		Source: "ASVS4 3.4.1; ASVS5 3.3.1; Quick Start"},
	{ID: "COOKIE-3", Level: Must, Profiles: all, Title: "Explicit SameSite",
		Text:   "Every Set-Cookie of the session cookie carries SameSite=Lax or SameSite=Strict.",
		Source: "ASVS4 3.4.3; ASVS5 3.3.2; OWASP CS",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "The browser spec reads whether the cross-site POST carried the cookie from the browser's network events, whatever the app answers.", Why: "An app without a POST route on the dashboard answered 404 and the spec failed with ERR_HTTP_RESPONSE_CODE_FAILURE."},
		}},
	{ID: "COOKIE-4", Level: Should, Profiles: all, Needs: Production, Title: "__Host- prefix in production",
		Text:   "In production the session cookie is named with the __Host- prefix (Secure, Path=/, no Domain), or at least __Secure-.",
		Source: "ASVS4 3.4.4; ASVS5 3.3.3; RFC 6265bis 4.1.3"},
	{ID: "COOKIE-5", Level: Must, Profiles: all, Title: "Narrow scope",
		Text:   "The session cookie has no Domain attribute and Path=/ (or the app root), the same on set, refresh and delete.",
		Source: "ASVS4 3.4.5; WSTG-SESS-02"},
	{ID: "COOKIE-6", Level: Should, Profiles: all, Title: "Cache safety",
		Text:   "Responses that set the session cookie carry Cache-Control: no-store; responses that depend on it carry no-store or private, or else Vary: Cookie, so no shared cache serves them to someone else.",
		Source: "OWASP CS; WSTG-SESS-04; Flask-Session 0.7.0",
		Revisions: []Revision{
			{Date: foreign, What: "text and spec", Change: "Cache-Control no-store or private suffices for responses that depend on the cookie; Vary: Cookie is needed only without them. Set-Cookie responses still need no-store.", Why: "The spec failed no-store responses for lacking Vary: Cookie \"so a shared cache may serve it to someone else\", which is false: no shared cache stores them."},
		}},
	{ID: "COOKIE-7", Level: Should, Profiles: all, Title: "One consistent cookie",
		Text:   "Each response has at most one Set-Cookie of the session cookie, refreshes keep every attribute, and name plus value stay within 4,096 bytes.",
		Source: "ASVS5 3.3.5; RFC 6265bis 3.1"},

	// Robustness
	{ID: "ROBUST-1", Level: Must, Profiles: server, Title: "A corrupt record counts as no session",
		Text:          "A truncated, garbage or empty record is treated as no session: status below 500, unauthenticated, other sessions unaffected.",
		NotApplicable: byDesign,
		Source:        "ASVS5 16.5.3; cachelib FileSystemCache.get"},
	{ID: "ROBUST-2", Level: Must, Profiles: redisLike, Title: "Fail closed when the store is down",
		Text:          "While Redis is unreachable, requests that need a session get a 5xx within 5 seconds, never an authenticated page or a successful login, and the process stays up.",
		NotApplicable: map[Profile]string{Filesystem: "outages are a Redis concern; ROBUST-6 covers an unwritable directory", Cookie: noStore + " lose"},
		Source:        "ASVS5 16.5.2-4; FS #45, #82",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "A request with no answer within the outage bound is this requirement's failure, checked explicitly; the login during an outage is the answer of whichever step failed (a login page that needs the store fails first).", Why: "Harness steps that get no answer are now errors (a timeout is slowness elsewhere); here a hang is the broken promise."},
			{Date: topologies, What: "spec", Change: "Also checked on the Redis topologies, each with its own outage: redis-sentinel stops master and replica (the Sentinels still name the master), redis-cluster stops a master and waits until the cluster reports cluster_state:fail. Pausing (a hang) stays the redis profile's.", Why: "Deployments that outgrow one Redis fail differently: a Sentinel with nothing to promote, a cluster that refuses every key (CLUSTERDOWN) once one master is gone."},
		}},
	{ID: "ROBUST-3", Level: Must, Profiles: redisLike, Title: "Recovery without a restart",
		Text:          "After Redis returns, without restarting the server, logins work again within 10 seconds and sessions kept in Redis are valid again.",
		NotApplicable: map[Profile]string{Filesystem: "outages are a Redis concern", Cookie: noStore + " lose"},
		Source:        "Quick Start (production)",
		Revisions: []Revision{
			{Date: topologies, What: "spec", Change: "On redis-cluster the outage stops a master that holds none of the spec's sessions, so they must work again once it is back; on redis-sentinel master and replica restart empty (no persistence), so only new logins are checked.", Why: "A cluster keeps the sessions of the masters that stayed up: recovery means they work again."},
		}},
	{ID: "ROBUST-4", Level: Should, Profiles: redisLike, Title: "Outage errors leak nothing",
		Text:          "Responses during an outage reveal no stack trace, Redis address, REDIS_URL or credentials.",
		NotApplicable: map[Profile]string{Filesystem: "outages are a Redis concern", Cookie: noStore + " lose"},
		Source:        "ASVS4 7.4.1; ASVS5 16.5.1"},
	{ID: "ROBUST-5", Level: Should, Profiles: redisLike, Title: "Graceful degradation",
		Text:          "During an outage, endpoints that need no session (health check, login page, static files) keep answering 200.",
		NotApplicable: map[Profile]string{Filesystem: "outages are a Redis concern", Cookie: noStore + " lose"},
		Source:        "ASVS5 16.5.2"},
	{ID: "ROBUST-6", Level: Must, Profiles: server, Title: "Write failures are not hidden",
		Text:          "When a session cannot be stored, the login answers 5xx, never a success with a cookie that does not work; once the store is writable again, logins work without a restart.",
		NotApplicable: byDesign,
		Source:        "ASVS5 16.5.3; cachelib FileSystemCache.set",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "A login page that answers 5xx while the store cannot write is the login's answer (no failure hidden); logins must work again within the recovery timeout once the store is back.", Why: "A CSRF app answers 500 at its login page when it cannot store the session; the spec failed it for \"the login page has no hidden input\", a precondition, not the promise."},
		}},
	{ID: "ROBUST-7", Level: Must, Profiles: all, Title: "Concurrent requests are safe",
		Text:   "Fifty parallel requests with one session all succeed and the session stays valid; parallel sessions of different users never see each other's data.",
		Source: "ASVS5 15.4.1; FS #20, #71, #78",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "Parallel logins are as many as the login cost allows (10 to 50), each given time for the hashes queued before it; a request with no answer or a 502/503/504 decides nothing (error if nothing else was seen).", Why: "On every target with a realistic hash (bcrypt 10-12, PBKDF2 260k) it failed with \"could not post the login form ... context deadline exceeded\" in full runs and passed alone."},
		}},

	// Redis topologies: Sentinel failover and Cluster slots
	{ID: "FAILOVER-1", Level: Must, Profiles: []Profile{RedisSentinel}, Title: "Sessions survive a failover",
		Text:          "When the Redis master crashes and the Sentinels promote its replica, a session that had reached the replica works again within 10 seconds of the Sentinels naming the new master, without a restart of the server.",
		NotApplicable: sentinelOnly,
		Source:        "Redis Sentinel client spec (ask the Sentinels for the master; reconnect after a failover); pallets-eco/flask-caching #40 (a master discovered once); FS #262, #266"},
	{ID: "FAILOVER-2", Level: Must, Profiles: []Profile{RedisSentinel}, Title: "Without a master, no one else's session",
		Text:          "From the master's crash until the Sentinels promote a replica, every request with a valid session cookie is answered within 5 seconds with a 5xx, a logged-out page or the visitor's own session, never with another user's session, and the server process stays up.",
		NotApplicable: sentinelOnly,
		Source:        "ASVS5 16.5.2-3 (fail securely); Redis Sentinel documentation (no master until the failover ends)"},
	{ID: "FAILOVER-3", Level: Must, Profiles: []Profile{RedisSentinel}, Title: "Logins after a failover persist",
		Text:          "After a failover, logins work again within 10 seconds of the Sentinels naming the new master, without a restart of the server, and a session created then stays valid after the old master comes back as a replica and across a graceful restart of the server.",
		NotApplicable: sentinelOnly,
		Source:        "Redis Sentinel client spec (a client must not go on writing to the old master); Quick Start (logins persist)"},
	{ID: "FAILOVER-4", Level: Must, Profiles: []Profile{RedisSentinel}, Title: "A login lost in a failover logs in no one else",
		Text:          "Redis replicates asynchronously: a login acknowledged just before the master crashed may not have reached the replica, and is then lost with the master unless the server waited for the replica (WAIT). Within 10 seconds of the Sentinels naming the new master, the cookie of such a login is either still valid for the same user or treated as logged out (no 5xx), and it never shows another user, then or after other users log in.",
		NotApplicable: sentinelOnly,
		Source:        "Redis replication documentation (asynchronous: an acknowledged write can be lost in a failover); Redis WAIT command; Redis Sentinel documentation"},
	{ID: "CLUSTER-1", Level: Must, Profiles: []Profile{RedisCluster}, Title: "Logout and clearing reach every master",
		Text:          "On Redis Cluster, a logout deletes the session's key on whichever master holds it, and deleting the session keys on every master (node by node, as an operator clears a cluster) logs every session out, without a 5xx, while new logins keep working.",
		NotApplicable: clusterOnly,
		Source:        "Redis Cluster specification (each key lives on the master of its hash slot); go-redis #2134; FS #263"},
	{ID: "CLUSTER-2", Level: Must, Profiles: []Profile{RedisCluster}, Title: "Sessions work on every master, without cross-slot operations",
		Text:          "Sessions whose keys hash to the slots of different masters all work (login, dashboard, a restart of the server, a new login over a live session, logout), and the server uses no multi-key operation across hash slots (a RENAME of the old session key to the new one, say): no request fails with a CROSSSLOT error or a MOVED redirection it did not follow.",
		NotApplicable: clusterOnly,
		Source:        "Redis Cluster specification (MOVED and ASK redirections; multi-key commands must keep to one hash slot; database 0 only); spring-session #1684 and redisson #1897, #6052 (changeSessionId by RENAME: CROSSSLOT); go-redis #2134; FS #263"},

	// Profile switching
	{ID: "PROFILE-1", Level: Must, Profiles: []Profile{Cookie}, Title: "Switching to cookie mode works",
		Text:          "With sessions switched to cookies, login, dashboard and logout work without a 5xx, and cookies left over from a server-side mode are treated as no session.",
		NotApplicable: map[Profile]string{Filesystem: cookieOnly, Redis: cookieOnly, RedisSentinel: cookieOnly, RedisCluster: cookieOnly},
		Source:        "Quick Start (SESSION_TYPE=None); FS #107, #182",
		Revisions: []Revision{
			{Date: foreign, What: "spec", Change: "The switch starts from a server-side profile the manifest declares (in profiles, or features.switch_from); without one the requirement is unsupported and listed as a MUST not checked.", Why: "It ran a target that declares only the cookie profile in a filesystem mode its manifest never declared, and failed it."},
		}},
}
