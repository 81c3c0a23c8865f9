#include "interlocutor/detect/identity.h"

#include <libpsl.h>

#include <algorithm>
#include <array>

namespace ilc::detect {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string trim_address(std::string_view a) {
    while (!a.empty() && (a.front() == ' ' || a.front() == '<' || a.front() == '\t')) a.remove_prefix(1);
    while (!a.empty() && (a.back() == ' ' || a.back() == '>' || a.back() == '\t' || a.back() == '.'))
        a.remove_suffix(1);
    return lower(a);
}

// Free-mail providers, in one place. Entries ending in '.' match the provider under any public
// suffix ("hotmail." matches hotmail.com, hotmail.fr, hotmail.co.uk).
constexpr std::array kFreemail = {
    "gmail.com", "googlemail.com", "outlook.", "hotmail.", "live.", "msn.com", "yahoo.", "ymail.com",
    "rocketmail.com", "icloud.com", "me.com", "mac.com", "aol.", "gmx.", "web.de", "t-online.de",
    "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "neuf.fr", "bbox.fr",
    "club-internet.fr", "aliceadsl.fr", "numericable.fr", "proton.me", "protonmail.com", "pm.me",
    "tutanota.com", "yandex.", "mail.ru", "libero.it", "virgilio.it", "btinternet.com", "sky.com",
    "qq.com", "163.com", "126.com", "seznam.cz", "wp.pl", "o2.pl", "mail.com", "zoho.com", "fastmail.com",
    // More French ISPs and webmails.
    "free.fr", "sfr.fr", "neuf.fr", "cegetel.net", "noos.fr", "numericable.com", "tiscali.fr", "voila.fr",
    "libertysurf.fr", "9online.fr", "bbox.fr", "gmx.fr", "aol.fr", "hotmail.fr", "live.fr", "caramail.com",
    // US and UK access providers: their customers' addresses are people, not companies (the
    // Enron review found earthlink.net, pdq.net, ev1.net, juno.com and bigfoot.com as "accounts").
    "earthlink.net", "mindspring.com", "juno.com", "netzero.net", "netzero.com", "att.net", "worldnet.att.net",
    "comcast.net", "verizon.net", "sbcglobal.net", "swbell.net", "bellsouth.net", "pacbell.net", "prodigy.net",
    "cox.net", "charter.net", "rr.com", "optonline.net", "adelphia.net", "qwest.net", "ameritech.net",
    "flash.net", "ev1.net", "pdq.net", "concentric.net", "compuserve.com", "netscape.net", "netscape.com",
    "excite.com", "lycos.com", "usa.net", "bigfoot.com", "angelfire.com", "altavista.com", "email.com",
    "hushmail.com", "iname.com", "webtv.net", "onebox.com", "ntlworld.com", "blueyonder.co.uk",
    "talktalk.net", "tiscali.co.uk", "virginmedia.com", "shaw.ca", "rogers.com", "sympatico.ca",
    "bluewin.ch", "skynet.be", "telenet.be", "hetnet.nl", "planet.nl", "home.nl", "ziggo.nl",
    "arcor.de", "freenet.de", "tin.it", "tiscali.it", "alice.it", "terra.es", "telefonica.net",
    "sapo.pt", "rediffmail.com", "yahoo.", "inbox.com", "gmx.net", "mail.ru", "list.ru", "bk.ru",
    "zipmail.com", "hotpop.com", "zohomail.com", "zohomail.eu", "mailinator.com", "tutanota.com", "tuta.io",
    "cybermail.net", "postmaster.co.uk", "coolmail.com", "operamail.com", "lavabit.com", "runbox.com",
};

std::string registrable(const std::string& domain) {
    if (domain.empty()) return domain;
    const char* r = psl_registrable_domain(psl_builtin(), domain.c_str());
    return r ? std::string(r) : domain;
}

}  // namespace

std::string domain_of(std::string_view address) {
    std::string a = trim_address(address);
    auto at = a.rfind('@');
    return at == std::string::npos ? std::string() : a.substr(at + 1);
}

bool is_freemail_domain(std::string_view domain_in) {
    std::string domain = lower(domain_in);
    std::string reg = registrable(domain);
    for (std::string_view f : kFreemail) {
        if (f.back() == '.') {
            if (reg.compare(0, f.size(), f) == 0) return true;
        } else if (reg == f || domain == f) {
            return true;
        }
    }
    // No "<something>mail.com" guess: sendmail.com or a company's own xyzmail.fr are companies.
    return false;
}

std::string organization_of(std::string_view address) {
    std::string a = trim_address(address);
    auto at = a.rfind('@');
    if (at == std::string::npos) return a;
    std::string domain = a.substr(at + 1);
    if (domain.empty()) return a;
    if (is_freemail_domain(domain)) return a;
    return registrable(domain);
}

Identity::Identity(const std::vector<std::string>& owners, const std::vector<std::string>& internal_domains,
                   const std::vector<std::string>& managers, const std::vector<std::vector<std::string>>& merges) {
    for (const auto& o : owners) {
        std::string a = trim_address(o);
        if (a.empty() || owner_set_.count(a)) continue;
        owners_.push_back(a);
        owner_set_.insert(a);
    }
    for (const auto& m : managers) manager_set_.insert(trim_address(m));
    for (const auto& d : internal_domains) {
        std::string dom = lower(d);
        while (!dom.empty() && (dom.front() == '@' || dom.front() == '.')) dom.erase(0, 1);
        if (dom.empty()) continue;
        internal_domains_.insert(dom);
        internal_orgs_.insert(dom.find('@') == std::string::npos ? registrable(dom) : dom);
    }
    if (internal_domains.empty())
        for (const auto& o : owners_) internal_orgs_.insert(organization_of(o));
    for (const auto& group : merges) {
        if (group.empty()) continue;
        std::string head = lower(group.front());
        for (const auto& g : group) merge_[lower(g)] = head;
    }
}

bool Identity::is_owner(std::string_view address) const { return owner_set_.count(trim_address(address)) > 0; }

bool Identity::is_manager(std::string_view address) const {
    return manager_set_.count(trim_address(address)) > 0;
}

bool Identity::is_internal(std::string_view address) const {
    std::string a = trim_address(address);
    if (a.empty()) return false;
    if (owner_set_.count(a)) return true;
    std::string domain = domain_of(a);
    // An explicit internal domain also covers its subdomains.
    for (std::string d = domain; !d.empty();) {
        if (internal_domains_.count(d)) return true;
        auto dot = d.find('.');
        if (dot == std::string::npos) break;
        d.erase(0, dot + 1);
    }
    return internal_orgs_.count(organization_of(a)) > 0;
}

std::string Identity::organization(std::string_view address) const {
    std::string org = organization_of(address);
    auto it = merge_.find(org);
    return it == merge_.end() ? org : it->second;
}

std::string Identity::account_of(std::string_view address) const {
    if (trim_address(address).empty() || is_internal(address)) return {};
    return organization(address);
}

Direction Identity::direction(const Message& m) const {
    return is_owner(m.from.address) ? Direction::outbound : Direction::inbound;
}

std::string Identity::person_key(std::string_view address) const {
    std::string a = trim_address(address);
    if (owner_set_.count(a) && !owners_.empty()) return owners_.front();
    return a;
}

}  // namespace ilc::detect
