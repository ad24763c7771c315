/*
 * tests/tools/firefox-login.js - run by marionette.py in Firefox's chrome
 * context: arguments = [MODULE-LIBRARY-PATH, PIN, MODE, callback].
 *
 * 1. Replaces the "@mozilla.org/prompter;1" factory with one whose
 *    nsIPrompt answers every password prompt with PIN (headless Firefox
 *    cannot show its own).  PSM asks that prompter for the token's
 *    password when NSS needs it (nsNSSComponent::GetNewPrompter), so
 *    Firefox itself passes the PIN to C_Login.  The prompts asked are
 *    counted and their texts kept (see firefox-state.js).  Other prompt
 *    kinds are refused.
 * 2. Finds the NSS module whose library is MODULE-LIBRARY-PATH and, when
 *    MODE is "login", logs in to each of its tokens with
 *    nsIPK11Token.login(false).  With MODE "prompter" it only reports
 *    them: Firefox asks the prompter when a site wants the card's key.
 * Result: { module, tokens: [{ name, hasPassword, loggedInBefore, loggedIn }],
 *           asked,
 *           prompts: [text...] } or { error }.
 */
/* global Components, ChromeUtils, Services */
const [libPath, pin, mode, done] = arguments;
const Cc = Components.classes, Ci = Components.interfaces;
const CONTRACT = "@mozilla.org/prompter;1";

function installPrompter() {
	const reg = Components.manager.QueryInterface(Ci.nsIComponentRegistrar);
	try {
		const cur = Cc[CONTRACT].getService();
		if (cur.wrappedJSObject && cur.wrappedJSObject.smartsignState)
			return cur.wrappedJSObject.smartsignState;
	} catch (e) { /* not created yet: fine */ }
	const state = { asked: 0, prompts: [], pin };
	const refuse = () => false;
	const prompt = {
		QueryInterface: ChromeUtils.generateQI(["nsIPrompt"]),
		promptPassword(title, text, password, checkMsg, checkValue) {
			state.asked++;
			state.prompts.push(String(text));
			password.value = state.pin;
			return true;
		},
		alert() {}, alertCheck() {}, confirm: refuse, confirmCheck: refuse,
		confirmEx() { return 1; }, prompt: refuse,
		promptUsernameAndPassword: refuse, select: refuse,
	};
	const service = {
		QueryInterface: ChromeUtils.generateQI(["nsIPromptFactory"]),
		getPrompt(win, iid) { return prompt.QueryInterface(iid); },
		smartsignState: state,
	};
	service.wrappedJSObject = service;
	const factory = {
		QueryInterface: ChromeUtils.generateQI(["nsIFactory"]),
		createInstance(iid) { return service.QueryInterface(iid); },
	};
	reg.registerFactory(Services.uuid.generateUUID(),
	    "smartsign test prompter", CONTRACT, factory);
	return state;
}

function val(x, name) {	// a method in some versions, an attribute in others
	return typeof x[name] === "function" ? x[name]() : x[name];
}

function list(x) {	// nsISimpleEnumerator or array
	if (Array.isArray(x))
		return x;
	const out = [];
	while (x.hasMoreElements())
		out.push(x.getNext());
	return out;
}

(async () => {
	const state = installPrompter();
	const mdb = Cc["@mozilla.org/security/pkcs11moduledb;1"]
	    .getService(Ci.nsIPKCS11ModuleDB);
	const mods = list(await mdb.listModules());
	const mod = mods.find(m => m.libName === libPath);
	if (!mod) {
		done({ error: "module not loaded",
		    modules: mods.map(m => m.name + "=" + m.libName) });
		return;
	}
	const tokens = [];
	for (let slot of list(mod.slots || await mod.listSlots())) {
		slot.QueryInterface(Ci.nsIPKCS11Slot);
		if (slot.status === Ci.nsIPKCS11Slot.SLOT_NOT_PRESENT)
			continue;
		let tok;
		try { tok = slot.getToken(); } catch (e) { continue; }
		if (!tok)
			continue;
		const t = { name: tok.tokenName, hasPassword: val(tok, "hasPassword"),
		    loggedInBefore: val(tok, "isLoggedIn") };
		if (mode === "login") {
			try {
				tok.login(false);
			} catch (e) {
				t.loginError = String(e);
			}
		}
		t.loggedIn = val(tok, "isLoggedIn");
		tokens.push(t);
	}
	done({ module: mod.name, tokens, asked: state.asked,
	    prompts: state.prompts });
})().catch(e => done({ error: String(e) }));
