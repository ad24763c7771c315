/*
 * tests/tools/firefox-state.js - run by marionette.py in Firefox's chrome
 * context: arguments = [TOKEN-NAME-PREFIX, callback].
 * Result: { asked, prompts } of the prompter firefox-login.js installed
 * (null when none), and the certificates Firefox's certificate database
 * lists on tokens whose name starts with TOKEN-NAME-PREFIX:
 * { certs: [{ token, subject, serial }] }.
 */
/* global Components */
const [prefix, done] = arguments;
const Cc = Components.classes, Ci = Components.interfaces;
(async () => {
	let st = null;
	try {
		const svc = Cc["@mozilla.org/prompter;1"].getService();
		if (svc.wrappedJSObject && svc.wrappedJSObject.smartsignState)
			st = svc.wrappedJSObject.smartsignState;
	} catch (e) { /* no prompter */ }
	const db = Cc["@mozilla.org/security/x509certdb;1"]
	    .getService(Ci.nsIX509CertDB);
	let all = await db.getCerts();
	if (!Array.isArray(all)) {	// older: nsIX509CertList
		const out = [], e = all.getEnumerator();
		while (e.hasMoreElements())
			out.push(e.getNext().QueryInterface(Ci.nsIX509Cert));
		all = out;
	}
	const certs = all.filter(c => c.tokenName.startsWith(prefix))
	    .map(c => ({ token: c.tokenName, subject: c.subjectName,
		serial: c.serialNumber }));
	done({ asked: st ? st.asked : null, prompts: st ? st.prompts : null,
	    certs });
})().catch(e => done({ error: String(e) }));
