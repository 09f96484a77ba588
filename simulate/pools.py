"""Shared infrastructure pools: networks (ASNs, IPs), client fingerprints, countries, models.

Legitimate accounts and campaigns draw from the *same* pools, so no ASN, user agent
or country is unique to a campaign: what separates rings is how they use them
(how many accounts share one, how often they rotate), never which value they hold.
Pools are built once per world from the world's seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulate.config import WorldConfig

# Country -> UTC offset (hours) of its main population centre.
COUNTRY_TZ = {
    "US": -6, "IN": 5, "GB": 0, "DE": 1, "BR": -3, "FR": 1, "JP": 9, "CA": -5, "KR": 9,
    "SG": 8, "NL": 1, "AU": 10, "ID": 7, "VN": 7, "PL": 1, "ES": 1, "IT": 1, "MX": -6,
    "TR": 3, "HK": 8, "TW": 8, "IL": 2, "SE": 1, "NG": 1, "PH": 8, "AR": -3, "ZA": 2,
    "UA": 2, "RU": 3, "MY": 8,
}  # fmt: skip

# Client families: (user-agent pattern, number of versions, library id for TLS).
CLIENT_FAMILIES = {
    "python_sdk": ("llm-python/{maj}.{min}.{pat} (python 3.{py})", 40, "openssl-py"),
    "node_sdk": ("llm-node/{maj}.{min}.{pat} (node 2{py})", 30, "node"),
    "agent_cli": ("codeagent-cli/{maj}.{min}.{pat}", 30, "node"),
    "ide_plugin": ("ide-assist/{maj}.{min}.{pat} (vscode 1.{py}0)", 24, "electron"),
    "browser": ("Mozilla/5.0 (X11; Linux x86_64) Chrome/1{maj}{min}.0.{pat}.0", 36, "chrome"),
    "mobile_app": ("ChatApp/{maj}.{min} (iOS 1{py}.{pat})", 24, "ios"),
    "curl": ("curl/8.{min}.{pat}", 10, "curl"),
    "httpx": ("python-httpx/0.{min}.{pat}", 12, "openssl-py"),
    "go_http": ("Go-http-client/2.0 ({maj}.{min})", 8, "go"),
    "java_http": ("Java-http-client/2{min}.0.{pat}", 8, "java"),
    "langchain": ("langchain/0.{min}.{pat} llm-python/{maj}.{min}", 20, "openssl-py"),
}


@dataclass(frozen=True)
class Pools:
    """Everything accounts of any kind draw their infrastructure from."""

    countries: np.ndarray  # str codes
    country_weights: np.ndarray
    country_tz: np.ndarray  # int offset per country
    asn: np.ndarray  # int64 ASN numbers
    asn_kind: np.ndarray  # str kind per ASN
    asn_country: np.ndarray  # index into countries
    asn_base: np.ndarray  # uint32 first address of the ASN's block
    asn_hosts: np.ndarray  # addresses in use in the ASN's block (shared NAT: few)
    client_family: np.ndarray  # str family per client
    client_ua: np.ndarray
    client_tls: np.ndarray
    client_header: np.ndarray
    client_popularity: np.ndarray  # sums to 1 within each family
    model_names: np.ndarray
    model_line: np.ndarray
    model_release_us: np.ndarray  # int64 microseconds since epoch

    def asns_of(self, kind: str, country: int | None = None) -> np.ndarray:
        """Indices of ASNs of one kind (and country, where it has any)."""
        sel = self.asn_kind == kind
        if country is not None and np.any(sel & (self.asn_country == country)):
            sel &= self.asn_country == country
        return np.flatnonzero(sel)

    def clients_of(self, family: str) -> np.ndarray:
        """Indices of the clients of one family."""
        return np.flatnonzero(self.client_family == family)


def _hex(rng: np.random.Generator, n: int, width: int) -> list[str]:
    return ["".join(f"{b:02x}" for b in row) for row in rng.integers(0, 256, (n, width // 2))]


def build_pools(cfg: WorldConfig, start_us: int) -> Pools:
    """Build the world's shared pools from its infrastructure config and seed."""
    rng = np.random.default_rng([cfg.seed, 0])
    net = cfg.network
    countries = np.array(list(net.country_weights), dtype=object)
    cw = np.array(list(net.country_weights.values()), dtype=float)
    cw /= cw.sum()
    tz = np.array([COUNTRY_TZ.get(c, 0) for c in countries])

    asn, kind, ctry = [], [], []
    for ci in range(len(countries)):
        for k, per_country in net.asns_per_country.items():
            for _ in range(per_country):
                kind.append(k)
                ctry.append(ci)
    for k, n_global in net.global_asns.items():
        hubs = rng.choice(len(countries), n_global, p=cw)
        kind.extend([k] * n_global)
        ctry.extend(hubs.tolist())
    n_asn = len(kind)
    asn = rng.choice(np.arange(1000, 400000), n_asn, replace=False).astype(np.int64)
    first_octets = np.array([o for o in range(11, 224) if o not in (127, 169, 172, 192, 198, 100)])
    blocks = rng.choice(len(first_octets) * 256, n_asn, replace=False)
    base = (first_octets[blocks // 256].astype(np.uint32) << 24) | (
        (blocks % 256).astype(np.uint32) << 16
    )

    fam, ua, tls, hdr, pop = [], [], [], [], []
    lib_tls = {}
    for name, (pattern, versions, lib) in CLIENT_FAMILIES.items():
        if lib not in lib_tls:
            lib_tls[lib] = _hex(rng, 6, 24)
        w = 1.0 / np.arange(1, versions + 1) ** net.client_version_zipf
        w /= w.sum()
        hdrs = _hex(rng, 3, 16)
        for v in range(versions):
            fam.append(name)
            ua.append(
                pattern.format(
                    maj=1 + v // 12, min=v % 12, pat=int(rng.integers(0, 9)), py=8 + v % 6
                )
            )
            t = lib_tls[lib][int(rng.integers(0, 6))]
            tls.append(f"t13d{15 + v % 5}{10 + v % 7}h2_{t[:12]}_{t[12:]}")
            hdr.append(hdrs[int(rng.integers(0, 3))])
            pop.append(w[v])

    models = cfg.models
    release = np.array([start_us + int(m.released_day * 86400e6) for m in models], dtype=np.int64)
    return Pools(
        countries=countries,
        country_weights=cw,
        country_tz=tz,
        asn=asn,
        asn_kind=np.array(kind, dtype=object),
        asn_country=np.array(ctry),
        asn_base=base,
        asn_hosts=np.array([net.host_space[k] for k in kind], dtype=np.int64),
        client_family=np.array(fam, dtype=object),
        client_ua=np.array(ua, dtype=object),
        client_tls=np.array(tls, dtype=object),
        client_header=np.array(hdr, dtype=object),
        client_popularity=np.array(pop),
        model_names=np.array([m.name for m in models], dtype=object),
        model_line=np.array([m.line for m in models], dtype=object),
        model_release_us=release,
    )


def ip_strings(ips: np.ndarray) -> np.ndarray:
    """Dotted-quad strings for uint32 addresses (formats each distinct address once)."""
    uniq, inv = np.unique(ips, return_inverse=True)
    u = uniq.astype(np.uint64)
    text = np.array(
        [f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}" for a in u.tolist()],
        dtype=object,
    )
    return text[inv]
