#pragma once
// Who is who: organizations, the owner, internal people and accounts (SPEC "Normalization").
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "interlocutor/detect/settings.h"
#include "interlocutor/message.h"

namespace ilc::detect {

// The registrable domain of an address per the public suffix list (libpsl's builtin list):
// "x@mail.acme.co.uk" -> "acme.co.uk". Free-mail domains are no organization: the address
// itself (lower-cased) is returned. An address without a domain is returned lower-cased.
std::string organization_of(std::string_view address);

// True when the domain (or its registrable part) belongs to a free-mail provider.
bool is_freemail_domain(std::string_view domain);

// The domain part of an address, lower-cased ("" when there is none).
std::string domain_of(std::string_view address);

enum class Direction { outbound, inbound };

class Identity {
public:
    Identity() = default;
    // owners: the owner's addresses; internal_domains: empty = the owner's organizations;
    // managers: the rep's managers; merges: each inner list's organizations are one account,
    // named after its first element.
    Identity(const std::vector<std::string>& owners, const std::vector<std::string>& internal_domains,
             const std::vector<std::string>& managers,
             const std::vector<std::vector<std::string>>& merges = {});

    // The identity the analysis uses: owners, internal domains, managers and merges of settings.
    static Identity from_settings(const AnalysisSettings& s) {
        return Identity(s.owners, s.internal_domains, s.managers, s.account_merges);
    }

    bool is_owner(std::string_view address) const;
    bool is_manager(std::string_view address) const;
    bool is_internal(std::string_view address) const;
    // The account of an external address (its organization after merges), "" for internal ones.
    std::string account_of(std::string_view address) const;
    // The organization after merges, for any address.
    std::string organization(std::string_view address) const;
    // Outbound = From is an owner address; inbound = anything else.
    Direction direction(const Message& m) const;
    // One name per person: the owner's addresses collapse to the first one.
    std::string person_key(std::string_view address) const;
    const std::vector<std::string>& owners() const { return owners_; }

private:
    std::vector<std::string> owners_;
    std::unordered_set<std::string> owner_set_, manager_set_, internal_orgs_, internal_domains_;
    std::unordered_map<std::string, std::string> merge_;
};

}  // namespace ilc::detect
