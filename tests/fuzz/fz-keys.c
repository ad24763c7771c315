/*
 * tests/fuzz/fz-keys.c - fixed RSA keys for the fuzzers (fz-card.h), so
 * that no fuzz run spends seconds generating RSA-3072/4096 keys and the
 * test card is the same in every process.  Throw-away test keys, public
 * by design; made with "openssl genpkey -algorithm RSA -pkeyopt
 * rsa_keygen_bits:N".
 */
#include <stddef.h>

#include "fz-card.h"

static const char rsa1024[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAL5rV+ThQ04rmKxL\n"
    "3X2UnhSag8QFDB0vfYLAOqK9LvEFIZRFs5HLqw9Ds84I2E6Y5bOh78SF4HBlYweM\n"
    "jkRsX7jKl6AXnEdbGKzWObpRUenvfRuntKTTDM6hevGINrenpxqPcjlTX9CrF8Fa\n"
    "u2PbItgsBSpCByPiF7nGK1KA/xZvAgMBAAECgYEAjVGhE45SoysbzZMoOFEZ2PSr\n"
    "ociVKvvZzDXZznlU4y8Jsr7f++4Jb/Sw9tH9pqc2olAmX9VzsjasfifEVeeQSY7K\n"
    "CqceiLmuqxifPxrdjZGEBlBHlnSF3BVX8iDl7DN92uq4EHPEJvqlbR4eepRwJYtw\n"
    "PBTnp4grHPbsM0pMC9ECQQDi6G2EucuGK59n2fN7JyP7B7PwD/c0BW2g/+I78Olk\n"
    "OmRmtjrTdPk5+u0hwkKRV8ZMIROGW91SeKGOHps5iko9AkEA1tVJSM091q0203ih\n"
    "vV+FQHwkplvfEJRGuIUKuZJXBPrMqYuF181PY9NilrSY42qykUynTSvQwdH0MjuX\n"
    "JhxqGwJBAJCSPpU+O6p0yM/GUhe5THd45PCje4Gto7fc0SwXxtyRR78ZhEmOUezb\n"
    "L5M+zmMEZdfDi0kj5tPRAD4oygXTUpECQAVWLwfb8VlP3DjMmlf1831ymAZ56cSj\n"
    "qk4TH/0UIY1CHatoh96gfwRfz+cmfVXI5L6vRMip+fmWmZZV3J9ZvVkCQHk6EXTN\n"
    "y241OuIKxfQgai+iZrUnRf4t3dVLNcGXlj4rtEdtG1bOedv2RdurbZq2OkEBDoY3\n"
    "jYhMFa5Rfhev7g0=\n"
    "-----END PRIVATE KEY-----\n";

static const char rsa2048[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC6L2GiP5e6HqhA\n"
    "XWyP/EvL/EHIa3LM6IOIVuY1s4R15Pa3a04i2n/82Jj2PqDtn0qdfcpMHwkM1icy\n"
    "Bje1Vrx8S6zwwKF6KGnmhQ2fX1LhbWhk1vmcra5bIbaWXnwcHpw+vCKg46ixxqLe\n"
    "/+ZCFawdO9JF0q9GWGWhuvsuMa+CKK6okarCoVKjB7C/NOW/fdUhafj5dLIhcTic\n"
    "U4bgDfTsH+LPIrJ05CNEC/D5q9Bhk2R0zNtrwk0oNyMMnBmJJ9WqbsYaJPz8K6QZ\n"
    "oOSzynxCJ9CQv9jLmEvMOWeCHRBMsRM4rggJhg6zbnqLa8G4yuWGlZDXv9UwkKgo\n"
    "Wl7lMTurAgMBAAECggEAPI43l6FOVIsvFwwryKL69iQcMzb7VjkTus7kvjeekAfB\n"
    "1MNSXRSrBw5dpc2V4uNpzdKBbwOzGlk201bhXJoS4OxuGbnVa1lkpETHOvwyhT5j\n"
    "81RWSEbXDC3paHvfqverwt3G94RENFoSVCxv9DN/UNzJlcsiFeOfXpxloM8pMdBC\n"
    "f5z+fAdO/KCBkih9G6Sr6XdFLJjIMFZfrb3bQeZkoHCOHyMIAjfp7mHe80xn3HoZ\n"
    "XRtTa/ppnuAng1OJBytBO72umsUYhks9JuZ2iNqMQdwq2fU6KZLF7RXS9LJIN6Zt\n"
    "QcY/C2xO8tVxhka7jHKwoECHv2TSln4r/bmg5KBrTQKBgQDeixLqPd2FAVPaUYe4\n"
    "QFcvs0aR6nTT/Cy9rO7Ov2tDjqrInrhuNAcvylv/tPwTNVUTDYYQiT0WzvUMR6+T\n"
    "BI4BVR9ZZuAWeLq1nzdfUCk+98PjDkQP0Kfywzwox1aQ86oC9h72c4jvPO+Tug0J\n"
    "ehrGcMVzzJdmLTetV4Sh19LN3QKBgQDWLQGVDEnjn3BNgxJXUe+RSB/T8XYY34xo\n"
    "fH+8YD6w3+oPs7mb9CTV2uMMFCTE1KSGfD5ov0Xbr/q28Pz5lveD0WeuRQhXoBT4\n"
    "qThOAEaatK4a8TJ35Zd/XepMeAVOE8/fW9P0VuPIg7VCwhDtQUkISOt3YMVKfiWp\n"
    "Og83lOLrJwKBgQCvNDa0C/i2mhD2NHHxcVYyy6WngzpvGn3u5pMsWi+MhGmYgL0a\n"
    "pgNycJJ1gntic/6CfYcqxaE+r7jk7hsgV9mk2utPa1rI1kvIaY0ikO2oEVA7FiQn\n"
    "f1J6IZLfV/CjNfKHWlWOGe+YyhSj7ToOV/90c5xASrZ3TuoiomBdOplQUQKBgEa2\n"
    "mV0ir4qt66BL9FRMQzLOg2Owx3My6+LbqDkD9e7kHx2ME25AT6EkIe6s/+7U3nVg\n"
    "tCJVdLUyBy87peqqQ5KMIxVQyY5U1le7V1G5mZYerZVLqYQYk8qDsYYJ4oaC2BFA\n"
    "+lwkDBT6F3CxLnGHKpvHp6bElp8fw0N6XefWCo3lAoGAKZVoaQx76YuysLnVcihw\n"
    "+g+FrQe0sYas6zNtBBt0rzx1Dx1ipOEAoMYpZSogJHrpSyG3QtkTz0S8+JVNmYpk\n"
    "Tv0kzdERMZqGyWNb0Zyqrdt4QjMxn4nlR6WyoDP/+9gTqikfOVjC0MnjXL8js6a/\n"
    "C79Tpctjdmpith30mur4MLU=\n"
    "-----END PRIVATE KEY-----\n";

static const char rsa3072[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIG/QIBADANBgkqhkiG9w0BAQEFAASCBucwggbjAgEAAoIBgQC4ewXyx0t+h2m5\n"
    "jwcozyJ0jgKIsLPrhyk+xey4BN+c3Vq4qsv43zlObH7S1B1zszSkoTkeRbx6HPO4\n"
    "3Q0Aw+vNXZ3fX/OHD9MX0W9C9j5WR+h8HsjwGH/HOSfOe2HddWJy+CAbhEncAQN2\n"
    "wJA+OAOYJ0W9AamIyvCTtJryMc3bs+NSdWs8jRI14QQylhK2GhGDHn2j1IxuOImJ\n"
    "1us9iy5uUGdQDB39oYE/4KNB02pMqeHlVROzXJ0Ze06BW5dmCQFObO4PDawIciaN\n"
    "Lvo3xKmZ2SEtmMWUkUJ4NQaa2lC5y5OHU9DXpr/V8i31txPlypt8VzTVElGccJBl\n"
    "yHdBde3Cv4HZqA49tLD6Vj732YpzsYaK+plGTHcMX57FIae/XGidt1D9xsHHJOQR\n"
    "XnNHxelh/N33j+dOu51KJ2b3HZyx4kZP6LWG6Ekwju3y6frtW3InUOq+D5Oyvc3v\n"
    "LjpyNS4+t1BPmXGIaPoEyYhIPznSGppUhYTvkPc9yjtWMBeTo8cCAwEAAQKCAYAb\n"
    "byAZVI3jiRut3pk/9l23W48A6NY4xmbZ0PE9BGyElV5ya+PdZMTO5s+NZsHifNnt\n"
    "SZSG7fPzbO7JpQXUAU7FwZBCsbAze6T2u8yB9sCacCMgoitbmSkXZWaIDE0nc9dq\n"
    "JYAQ14FsWDI9rLFGr2nJbL2wN9kQYK2aKZeJQOLOM1gw4QlLfechYA8RvsOVlRbZ\n"
    "muUwQeGIWpwJhY6CHnqPKSHUA5lKKIRiDXP5zAjY0cKoKhi96Z3rNi0ci5ReNiRc\n"
    "84+ZmYafu42NZjJBiVj0/+b/I1HPPtThuRmeFzB0/E/sK62EjvGWSafKl7IcAj4x\n"
    "S2UJR+eH8eAL9Eh+Ssh9bgyj4svoXtZ5BYLr1CH6KOaOCC1D6zaHDQ77EflG79rp\n"
    "4OC5HJqu7L1zfbK5oh2R76j6Kp7uhK1GpWmgWXqlVzjULv5OUp9O6DPe7ZSQQW37\n"
    "fPaF8V954dguczr3rIoBmxdrBhVy7bsvJBBTEjP1NRR1H5YuiRa1hHM2sHCb3MEC\n"
    "gcEA28a3k/gf5xkzQXOhKfVA/TLAY3syRTjqSEQQU98oryv40POakW68eXKBXAEy\n"
    "LncCBTFB9b4umsma/UrrAarC0RJZaMqbIrNolEQLH0X2IwY/ih6XTUdO/360if1E\n"
    "ibageqH+OHdpTye0iBgOBMOTv8k5zpWwytGueUTQl5qDuYXthyoqHz5hs4l0x/p4\n"
    "xJa8ZQGW6dGMt4gdArW46si5GyR5VJ0Yt35S5lia1NpCqdaZQlRrDakSM2EAIWD5\n"
    "kz0RAoHBANbjCHuUdu0Ewa2pma2hUrIqm3Ft4Ccjs6KSXWxquZwSKG/9ghM/kwKv\n"
    "UiE1yNKVKDalmTsiUBW8ZJNMGetWXQDzIcVNdVV0yKOJZ46iCApoVG17NI+SMxNZ\n"
    "5ppPMaVOUOQZnYcFl7uCxU4/qlytJQm29ARRp2G5ZYJGjZspgBLXbi5nKsJ4ov7z\n"
    "pMtI729f8VyGpVawGDtssWOHcOeFoUOXOctnFZkYF5J07yeSzQpLNc9rYUYAw2ca\n"
    "kXATsWezVwKBwBX+0lqlx5Oaaw3O479OQ13T2XtbVhGle5UV8shiGjFF5lYLO1n4\n"
    "yjYhZp7to7cQxAv+/Qn6KbHmIXPeLpzxGSRRgM9DD7muWPYVxUMw/kxNEMji/OOI\n"
    "EnjxlmIFDfn2ZCNB2S6PjOOWJrRELAsAA+Z63iU1yAbUa3DJmVLC7RIBPF99sc+E\n"
    "r8SHKj/lanbKWzqEqTTnevzXS4f85e/hfN0hjl8Qheu/Yc6Z6Y0J9wgGaTpBNqGc\n"
    "XSz1NU0h5nh88QKBwG+M2el1L6tozbX+FfXpiglNTvY6KKOIyAa73l2apZHcZzuD\n"
    "qVOerA03v/XXetG+dmqv2nS1Ike2TaudVNMzOQJ2NHC8/g0Hm+QxPx3vBSeJ81IG\n"
    "JEnnhjYkdC5ksAv1NM7EcV8XSyYfA5fUOvbzNwfs/o2DadW0LXrMb1Q93etqBBt4\n"
    "mNztTQf2qPSSfyEc+CmlCA2RSnMGwKs/MyAs4YM57NmnQLIBrLLtmvy7G0+drWho\n"
    "gM2bNdS/GQLKZkzD7wKBwQDJ4fEtXsizsuLuxRZMDzm/+UFbqkCqD9vk6nMc9x0Q\n"
    "Cyb1Grcmbc22x0zJJTUoLTNJi7S/78Ex6oEfFts7L7hL91Rf+uG2zqNw6CRX0CJ6\n"
    "IYF+XJq5s68AJe2FfyzIBmgfTDJdPdiQnagPuzBcPct7ajfOGPtlECtfWnumMF6y\n"
    "K5UkFbITFGmJJFC5tT9muHiMPBT9m+69TWKBshw2ND/49lGcnc31+XFG7hKdla8z\n"
    "L9Pbe4c8VG0QIbnAuZmNs4c=\n"
    "-----END PRIVATE KEY-----\n";

static const char rsa4096[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQC6M+Oq14ycZ/4r\n"
    "VYje7U1hsL/ilkH24yQmYLTQyfFSBn08Hl830+KvsJyqTIoN3BZ7P/fnd8mMnHeU\n"
    "3ykDO6O53UYUSpelp0HRB1yTZk3ahirHhusBVjcuqUq3Vf9Rneabd2Ak45BwPkDZ\n"
    "4Gb4tAzwUbCVTY+5XmtedjxIW7bquqiTLaTliUYORr7b7MAldn5scHaDobKw5wMj\n"
    "lAJuDfxB+DB+Bx9hFmZfb4Wr806iDfMSpT78EogdTYEh4LN9XH3Kuoff9e27tjTQ\n"
    "bs12NgMica520GlZTQvzA7P3UXrVe5Zq4+Ek7BXs2H3IMEBPEQNtxL4ZQZabafBV\n"
    "qSfvde0BhqeiG37qFnemcD5Pnpoc5dfp1bKGXZMimGFcYdb9eNWCQrkRZiIu/UCF\n"
    "Cbgp7A7L7WMhnk6sbr3HoSN9s/XGFT4XRLeUXw0xdIovYpcaC2j244GzuGd+TEnA\n"
    "6ecpcRWwqsgUtMfazOT1Va207mnAWZSg6YGs6pQ+dMVs5Rl+Q6rilHDSIDiqhSMk\n"
    "G/OYG2MyCFkhl0VQjzZKCUgq+WWOIJf3SXz/JyCXWV/6FGbu8sF/ZuIPemxbbqQ5\n"
    "4Ws2i9n+Zz8YSZruqSSP+1KT8SNkU9BAJXUVFIQFrcvP1TUNax9AXh7bFoWXx3AG\n"
    "/MDrAMJ6cuFP01dsCDCy60EOLXMwRwIDAQABAoIB/zHA9N23on9lYpdKDNTBYxaM\n"
    "vFeYbTidVFq8Gunf/8YiAfMgvL5YzVgYfZNlNZa7by4Fyz4gjQmd0at13WEeP0X2\n"
    "7H/Iq6RUyc2QwmK41OP20SIqIbm5t3K6T7yhH4WdK42oOblAIWpu1neSFv3XZ52q\n"
    "yJaiio4DpqC1fUGPQCZ4cLd1Q/XgpgIqj9UbsM5R1SDPTbcPRv9HHJW0XnfxaUuM\n"
    "qlw/fseQ8aVFdpz7nT4dxT0wGzCI57FmqNePOSnGJXUYbq/1eoqDK1ye0Rb79i/K\n"
    "JGA5jRFh1DctarJDbsXZasurGF9dqdN04QKi7iqT4TgwbDm08WrSlKh/tT5ZSm5l\n"
    "gNSGkdQI+acmGtINJM7GGdYow8y8zyTSt2NWFkFCgBV6JeKwX3GfXGLDEJdDchyM\n"
    "XwXxE/V2ho4+X7bKDV5J9NZY6K0UcyWcic4WRdOMSXnfcFjeOHIjL2N70WwQqcCL\n"
    "PO+fKp2GPigA52L2R57V2BHNm4sJBWUyRi5mGhkz2uV1U7Hb9AUx4uMtg7Nk2CH6\n"
    "8ZY2efdQi6xIg/LIRP4Wt8/HukFsUQYZd0I4POGf8oinXDTzD3VgOHUNw7n88617\n"
    "CTjXZuZyOeqmemmpOE9ZHDOoLlPNJMopnUkxZek5tQ0qrPF/wdKszy3VWI0hk6MR\n"
    "fT8vh0LZqXg/X/H40qUCggEBAPQQ7TwTSh56/vrc3IS34eV2g78NXUKdkUWIGGnE\n"
    "ibM0Jyt8TD4a1L298OZwBA/srHkigesVm1G/plcw93duY0zr02zttwfEWYuma0+q\n"
    "xbA9AVPZy0vwupK85QlUTwSCeoo1UVXpEIjeb92Hv0jhywXJFLrjut0Vx4iHuaAd\n"
    "Hl+6fkoWdxSqvZ+6rd4MH4spfAwtZfXEwylAidrDcqwjrhMf7VQTxffH2dkdF6/Z\n"
    "xT8TfBtWh+HAQX6NlXj1BaCYhZ4o3TCCwyj5mjKkmbPbDL79cH46GGJ9ZM8+ZgBO\n"
    "bNKhKWZ6yZMq6ckCbAi8Z84a0nuudBL21/gf88eoi6XiUqUCggEBAMNOqbcpyblH\n"
    "gxWyeNfmrbii1aevj6gj5qMfC/31JtLuklTVHrGe9WXuuL70rBJZvz4NTHaFFu4X\n"
    "ojJrgoHWMGingyEuYIvUx/9z+9SdWZJCl1AsvjKPQI8AmTfs71sPCgwdqiTV4iUD\n"
    "WbAPSuNIS69wezxjn0YaZEmzxwb6VdcahmdHVoRcvqGAvz8pmKC4Ot/RCkKL6YNp\n"
    "AqvO+A5sr8DaKRAslkVadCAQ5HXwrAruYJD/nwfbIxZEtepZbitHWzAYUub/px+j\n"
    "lnUi034C3AE1FgbsRs7qTv5dlBNjV5oCn2oBN57ZsoZajFcwEjV5B9XB2gcTylY2\n"
    "OJJmsP4Nn3sCggEBALYqCBdlwlV7seJlhIXehVFyIqUvgWMeHfaKvMX8tlY13+J6\n"
    "FKHp/s1b/njQNIf6O0Tyd4uSBep/I9VCLAJNNvqLrbNIveqjJ76uyLuel4ySC/Kc\n"
    "xTr6AxdQu5Y6Afw4suODJiD8IqY1d8Md9aydMp4v1jQjky4+ej4yJ18VPL1wgaAk\n"
    "ol6fjYaxm+H2pHiGzxp7q/VDFfMtQ3cvl+BZhSyrEMVHOORWmweMykgrPyh0D5aM\n"
    "AEGD8J5XaK/uGXQjQt+oWmdBwg5MNkYESuBN53aJzTO5gsfIFb0FMraZ0mlndnIR\n"
    "xW/9gJ7SGvZuQQA5Ts6Xh/U7njiJCLgF2a1Hfi0CggEABBa1ftwlGPfiSqX92ac+\n"
    "o8rk5inKvB5kSa3wtlRXh7ru3U/I4LcPNB8XRwggQhIW6tmkbCbFIB7mil+tz8II\n"
    "KWi4Wg16f/LobPSkpQLWSTWTrV4CbVSKaXP9wSn4qNNbxn0ofrTrkxLK4eCwFKoC\n"
    "y51zNwRu5SzQRKq60+6RtXscrTTVHthCNWdYmZ3pUBQLR3w81r/PF60vHSGsF8E2\n"
    "vLbUfT4xtyn5nGI+JinvsBrlcqOnVKbFyUWO+WT95XIM+qjHs4ZOnV7zW2hrPQwa\n"
    "RvwxhduUb+h/1ttmqjE+OD8tzy5PV8f+8MkcfwbGms/51gPE6LkFV2CzNn1n3ymx\n"
    "2QKCAQEAk4VlUWCdyT55KjHP/X8SHj49ElKv/ibJekivoG4780NIa61atG2H4qZx\n"
    "9XuEBTigarHADar7tacWuWVjh1RocGadJUJywpPy7EosAOJdpG/wCu58Uo65W8SO\n"
    "iIw7FCaNGiEOX2UcQ8yMHrL3rFBBaGmqcA2EQCVh38QLSU25++nRpJoNdDTHAB1H\n"
    "8Mx9geW2+oeXiee+feA83m66bCF8G3XBtu2Q30sXOrZH2OPH01WfxE3dTQ8+HYxl\n"
    "iqe2SpT+pKTNyDc1/9LYKc1X+CKs3rM7KG79ImaDvPLikXC1lyrIF+kVDpud2N1w\n"
    "m5E9e4wk4gG2Np5mfTqh83ep+PbQGA==\n"
    "-----END PRIVATE KEY-----\n";

const char *
fz_rsa_pem(unsigned bits)
{
	switch (bits) {
	case 1024:
		return rsa1024;
	case 2048:
		return rsa2048;
	case 3072:
		return rsa3072;
	case 4096:
		return rsa4096;
	default:
		return NULL;
	}
}
