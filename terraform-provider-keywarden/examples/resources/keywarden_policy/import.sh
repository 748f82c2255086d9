# The policy of the token's organisation imports as "policy".
tofu import keywarden_policy.org policy
