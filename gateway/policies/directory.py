"""Public operations of the directory service and the permission family each needs.

The family is checked here; the scope the principal holds (`:self`, `:unit`,
`:agency`) is enforced by the service on each object. The account-resolution
routes (`/principals/...`) are deliberately absent: only the gateway calls them.
"""

P = "/api/directory"

ROUTES: dict[tuple[str, str], str] = {
    ("GET", f"{P}/agencies"): "directory:agencies:read",
    ("POST", f"{P}/agencies"): "directory:agencies:write",
    ("GET", f"{P}/agencies/{{code}}"): "directory:agencies:read",
    ("PATCH", f"{P}/agencies/{{code}}"): "directory:agencies:write",
    ("GET", f"{P}/agencies/{{code}}/subtree"): "directory:agencies:read",
    ("GET", f"{P}/agencies/{{code}}/units"): "directory:agencies:read",
    ("POST", f"{P}/agencies/{{code}}/units"): "directory:units:write",
    ("GET", f"{P}/agencies/{{code}}/roster"): "directory:persons:roster",
    ("GET", f"{P}/persons"): "directory:persons:read",
    ("POST", f"{P}/persons"): "directory:persons:write",
    ("GET", f"{P}/persons/{{person_id}}"): "directory:persons:read",
    ("PATCH", f"{P}/persons/{{person_id}}"): "directory:persons:write",
    ("POST", f"{P}/persons/import"): "directory:persons:import",
    ("GET", f"{P}/accounts"): "directory:accounts:read",
    ("POST", f"{P}/accounts"): "directory:accounts:write",
    ("GET", f"{P}/accounts/{{name}}"): "directory:accounts:read",
    ("PATCH", f"{P}/accounts/{{name}}"): "directory:accounts:write",
    ("PUT", f"{P}/accounts/{{name}}/roles"): "directory:accounts:write",
    ("POST", f"{P}/accounts/{{name}}/disable"): "directory:accounts:write",
    ("POST", f"{P}/accounts/{{name}}/enable"): "directory:accounts:write",
    ("GET", f"{P}/accounts/{{name}}/secrets"): "directory:accounts:read",
    ("POST", f"{P}/accounts/{{name}}/secrets"): "directory:accounts:write",
    ("DELETE", f"{P}/accounts/{{name}}/secrets/{{secret_id}}"): "directory:accounts:write",
    ("GET", f"{P}/audit/personal-data-reads"): "directory:audit:read",
    # account review (帳號權限妥適性及帳號留存必要性)
    ("GET", f"{P}/agencies/{{code}}/account-review"): "directory:reviews:read",
    ("POST", f"{P}/agencies/{{code}}/account-reviews"): "directory:reviews:write",
    ("GET", f"{P}/account-reviews"): "directory:reviews:read",
    ("GET", f"{P}/account-reviews/{{campaign_id}}"): "directory:reviews:read",
    ("POST", f"{P}/account-reviews/{{campaign_id}}/items/{{account}}"): "directory:reviews:write",
    ("POST", f"{P}/account-reviews/{{campaign_id}}/close"): "directory:reviews:write",
}
