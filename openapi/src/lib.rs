//! The base OpenAPI document of Siji: what no handler can say about itself (title, contact,
//! licence, servers, tags, the security scheme). The `api` crate merges the operations and
//! schemas it collects from its routes into this base, so the published document is always
//! generated from the code. The committed snapshot lives beside this crate in `openapi.json`.

use utoipa::OpenApi;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::openapi::{OpenApi as Document, Server};

/// Path of the committed document, relative to the workspace root.
pub const COMMITTED_DOCUMENT_PATH: &str = "openapi/openapi.json";

/// Name of the bearer-token security scheme operations refer to.
pub const BEARER_SCHEME: &str = "bearer";

/// Name of the OAuth2 client-credentials scheme (machine clients), so that generated clients and
/// Swagger UI can fetch a token themselves.
pub const CLIENT_CREDENTIALS_SCHEME: &str = "client_credentials";

/// Tags, one per resource family, in the order integrators read them.
pub mod tags {
    pub const AUTH: &str = "auth";
    pub const ME: &str = "me";
    pub const ORGS: &str = "orgs";
    pub const USERS: &str = "users";
    pub const CLIENTS: &str = "clients";
    pub const AUDIT: &str = "audit";
    pub const ENTERPRISES: &str = "enterprises";
    pub const WORKERS: &str = "workers";
    pub const IMPORTS: &str = "imports";
    pub const JOBS: &str = "jobs";
    pub const AGREEMENTS: &str = "wage-agreements";
    pub const STANDARDS: &str = "standards";
    pub const STATS: &str = "stats";
    pub const ARCHIVE: &str = "beneficiaries";
    pub const CAMPAIGNS: &str = "campaigns";
    pub const GRANTS: &str = "grants";
    pub const BANK_CARDS: &str = "bank-cards";
    pub const PAYOUTS: &str = "payouts";
    pub const OPERATIONS: &str = "operations";
    pub const META: &str = "meta";
    pub const SYNC: &str = "sync";
}

const DESCRIPTION: &str = r#"Siji (四季) is the JSON REST API of a city federation of trade unions (市总工会):
the worker and enterprise registry, the hardship archive (困难职工档案), the "Four Seasons" aid
campaigns (春送岗位, 夏送清凉, 金秋助学, 冬送温暖), bank-card payouts and collective wage agreements
(工资集体协商). County and district federations (县市区总工会) sync their records into it.

## Conventions
* Base path `/api/v1`; JSON with snake_case fields; ids are UUIDv7.
* Times are RFC 3339 in UTC; dates are `YYYY-MM-DD`.
* Money is an integer number of fen (分) in fields ending `_fen`; rates are basis points (`_bp`).
* Lists are keyset-paginated: `limit` (default 50, at most 200) and an opaque `cursor`; the
  response carries `next_cursor` (null on the last page).
* Every error is `application/problem+json` (RFC 9457) with a stable machine `code`; see the
  `Problem` schema for the list of codes. Validation failures list each bad field in `errors`.
* Send `X-Request-Id` to correlate your logs with ours; it is echoed on every response and in
  every problem body (`request_id`).
* Personal data (ID numbers, bank cards, phones) is always masked in responses.

## Authentication and scope
Send `Authorization: Bearer <access token>`. Staff get tokens from `POST /api/v1/auth/login`
(and keep them fresh with `POST /api/v1/auth/refresh`); county systems from
`POST /api/v1/auth/token` (OAuth2 client credentials). Each operation names the permission it
needs (`x-permission`) and the roles that hold it. Every caller belongs to one node of the
organisation tree and sees only that node's subtree: a record outside it answers 404, exactly
like one that does not exist."#;

#[derive(OpenApi)]
#[openapi(
    info(
        // ASCII: generators turn the title into a package name. 四季 is in the description.
        title = "Siji Union Services API",
        description = DESCRIPTION,
        contact(name = "Siji maintainers", email = "siji@example.org"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = tags::AUTH, description = "Signing in (staff: username and password; county systems: OAuth2 client credentials), refreshing and revoking tokens."),
        (name = tags::ME, description = "The caller's own identity, permissions and password."),
        (name = tags::ORGS, description = "The union organisation tree (工会三级组织网络): city federation (市总工会) → county/district federations (县市区总工会) → township/street unions (乡镇(街道)工会) → enterprise unions (企业工会). Every record belongs to a node; a caller sees only its node's subtree."),
        (name = tags::USERS, description = "Staff accounts, their roles and passwords."),
        (name = tags::CLIENTS, description = "Machine clients: county systems that sync their records with the `integration` role."),
        (name = tags::ENTERPRISES, description = "The registry of unionised enterprises (建会企业), keyed city-wide by their Unified Social Credit Code (统一社会信用代码)."),
        (name = tags::WORKERS, description = "The registry of workers (职工). One resident ID number (居民身份证号) is one person city-wide. ID numbers and phones are encrypted at rest and masked in every response; plaintext only through the audited reveal operation."),
        (name = tags::IMPORTS, description = "Spreadsheet imports (CSV or XLSX, Chinese column headers) into the registry, with downloadable templates. A file is checked at once (limits, columns) and then imported as a job, whose result is a per-row report."),
        (name = tags::JOBS, description = "Long work (作业) such as imports: a request that starts it answers `202 Accepted` with the job's URL in `Location`; poll the job for its progress and result. Jobs survive restarts and are retried when an attempt fails for a reason that may pass."),
        (name = tags::AGREEMENTS, description = "Collective wage agreements (工资集体协商 / 集体合同): single-enterprise, industry-wide (行业性) and regional (区域性); negotiation rounds, signing, filing (备案), expiry and termination."),
        (name = tags::STANDARDS, description = "Local standards kept by administrators per county, such as the statutory minimum wage (最低工资标准)."),
        (name = tags::STATS, description = "Statistics for the dashboard, such as the coverage of collective wage agreements (建制率)."),
        (name = tags::ARCHIVE, description = "The hardship archive (困难职工档案): one archive per household, its members, the eligibility computed from the county's minimum living standard (低保标准), and its lifecycle: temporary → formal (after a verification visit by someone other than its creator) → lifted out (解困脱困, reopened if it falls back, 返困) or cancelled. Aid is given only by the archive (依档帮扶)."),
        (name = tags::CAMPAIGNS, description = "Aid campaigns (帮扶活动): the \"Four Seasons\" (四季服务: 春送岗位, 夏送清凉, 金秋助学, 冬送温暖) and the campaigns run the same way (帮扶送教育, 长效救助, 疗休养, 职工意外保险, 劳模专项资金, 精准扶贫). A campaign is run by one organisation in one year and draws its budget from named fund sources (fiscal special funds are kept apart); its lifecycle: draft → open (applications accepted) → closed → settled, or cancelled before settlement."),
        (name = tags::GRANTS, description = "Grants (受助名单): one recipient in one campaign, from the hardship archive or the registry, admitted by the campaign's rule (the clause is the grant's basis); one grant per person per campaign; the workflow submitted → verified (入户走访核实, by someone else) → on_notice (公示) → approved (by a third person, committing the amount in the campaign's ledger), or rejected / withdrawn. Public notices show masked data only."),
        (name = tags::BANK_CARDS, description = "Payees' bank cards (银行卡): aid is paid by bank transfer (以银行卡的形式发放) to a card of the worker or household member it is for. One active card per payee; a replaced card is kept as history. The holder's name must be the payee's; the number is 16–19 digits with the Luhn check digit (an audited override exists for the rare card that fails it), encrypted at rest and masked (`************1234`) in every response; the full number only through the audited reveal operation and the bank file. A number on two payees' cards is flagged (`shared`) for review."),
        (name = tags::PAYOUTS, description = "Payout batches (发放批次) and payouts (发放明细): approved grants of a campaign that have a card, put together by one person and approved by another (maker-checker): draft → approved → exported → reconciled, or cancelled while a draft. Each payout snapshots the card and carries a reference of at most 20 characters for the bank's remark field; pending → sent → paid, failed (with the bank's reason), returned (退票) or unknown (settled only by the bank's answer or a staff decision with a reason, never resent automatically). A grant has at most one live payout, enforced by the database; paid and returned payouts move the campaign's ledger. Money operations take an `Idempotency-Key`."),
        (name = tags::SYNC, description = "County sync (数据同步): what county systems and partners need to keep records in step with Siji. A county connector works in four steps. **1. Push** (推送): a county system (machine client, `integration` role) sends its records by its own ids, up to 1,000 a request, in dependency order — enterprises (`POST /api/v1/sync/enterprises`), then workers (`/sync/workers`, the employer by your enterprise id), then hardship archives with their members (`/sync/beneficiaries`, the head by your worker id) and wage agreements (`/sync/wage-agreements`, the enterprises by your ids) — each request with a fresh `Idempotency-Key`. **2. Read the results**: one per record, in the order sent: `created`, `updated`, `unchanged`, `conflict` (changed in Siji since the version you read; the record is in `current`, send its `version` as `base_version` once you have merged) or `invalid` (field errors; nothing written for that record). `GET /api/v1/sync/mappings` lists your ids and Siji's. **3. Follow the feed** (`GET /api/v1/sync/changes`): every create, update, state change and archiving of the organisations, enterprises, workers, hardship archives and wage agreements of your subtree, in commit order, from a cursor that never skips a change: start without one, keep `next_cursor`, and ask again (at once while `has_more`, after a pause when not). **4. Resync** (全量同步) when starting out, or when the feed answers 410 `cursor_expired` (a cursor older than the log's retention): page `GET /api/v1/sync/snapshot` for each kind, then follow the feed from its `feed_cursor`. Instead of polling, a client may register a webhook (`POST /api/v1/sync/webhooks`): Siji then posts a signed notification (ids and cursors, never personal data) when changes of its kinds commit, and the client reads them from the feed."),
        (name = tags::AUDIT, description = "The append-only audit trail (审计日志): every write, sign-in and permission denial."),
        (name = tags::META, description = "What front-ends need to show the API's codes to people: every enumeration value with its Chinese label (标签) and meaning."),
        (name = tags::OPERATIONS, description = "Liveness, readiness and service metadata for operators and load balancers."),
    ),
)]
struct Base;

/// The base document: info, tags and the bearer security scheme, with no operations yet.
pub fn base_document() -> Document {
    let mut doc = Base::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.servers = Some(vec![Server::new("/")]);
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER_SCHEME,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from `POST /api/v1/auth/login` (staff) or `POST /api/v1/auth/token` (machine clients), sent as `Authorization: Bearer <token>`.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        CLIENT_CREDENTIALS_SCHEME,
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::ClientCredentials(ClientCredentials::new(
                "/api/v1/auth/token",
                Scopes::new(),
            ))],
            "County systems and partners: a machine client's `client_id` and `client_secret` exchanged at `POST /api/v1/auth/token` for an access token, sent as `Authorization: Bearer <token>`.",
        )),
    );
    doc
}
