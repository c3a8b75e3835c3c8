import Foundation

/// The OpenAPI 3.0.3 document of a store, served at `/openapi/openapi.json`
/// and rendered by the Scalar page at `/openapi`. One template serves both
/// kinds; the plural paths and their singular aliases are both described.
enum StoreOpenAPI {
    static func document(kind: StoreKind, limits: RecordStore.Limits) -> String {
        let plural = kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()
        let paths = itemPaths.replacingOccurrences(of: "{{PREFIX}}", with: kind.prefix)
            .replacingOccurrences(of: "{{ALIASNOTE}}", with: "")
            .replacingOccurrences(of: "{{OPNAME}}", with: plural)
            + ",\n" + itemPaths.replacingOccurrences(of: "{{PREFIX}}", with: kind.alias)
            .replacingOccurrences(of: "{{ALIASNOTE}}", with: " (singular alias of `\(kind.prefix)`)")
            .replacingOccurrences(of: "{{OPNAME}}", with: String(plural.dropLast()) + "Alias")
        return template
            .replacingOccurrences(of: "{{ITEMPATHS}}", with: paths)
            .replacingOccurrences(of: "{{KIND}}", with: kind.rawValue)
            .replacingOccurrences(of: "{{PREFIX}}", with: kind.prefix)
            .replacingOccurrences(of: "{{PORT}}", with: String(kind.defaultPort))
            .replacingOccurrences(of: "{{MAXSIZE}}", with: String(limits.maxItemSize))
            .replacingOccurrences(of: "{{MAXUPLOADS}}", with: String(limits.maxConcurrentUploads))
            .replacingOccurrences(of: "{{HEARTBEAT}}", with: String(Int(limits.sseHeartbeat)))
            .replacingOccurrences(of: "{{KEPT}}", with: String(limits.keptEvents))
    }

    static let template = ##"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "SFU {{KIND}} store",
    "version": "1.0",
    "description": "Stores Ogg Opus audio items keyed by an event (a UUID) and a start instant. Default port {{PORT}}.\n\n## Items\n- `event` is a UUID (any case; stored lower-case). `start` is an ISO-8601 date-time (`2024-01-01T00:00:00Z`, `2024-01-01T01:00:00+01:00`, or zone-less `2024-01-01T00:00:00`, read as UTC) with at most millisecond precision; every spelling of one instant names the same item, whose canonical start is UTC with `Z` (milliseconds only when not zero). Anything else is 400.\n- Uploads (`PUT`) are streamed to disk (chunked or with `Content-Length`), never held in memory. `Content-Type` must be `audio/ogg` and the body must begin with a valid Ogg page (CRC checked) whose first packet is `OpusHead`; otherwise 415 and nothing is stored. An item appears only once completely written and synced: readers never see a partial item, an interrupted upload leaves nothing, concurrent uploads of one key end with exactly one of them, and a full disk answers 507 leaving the previous version intact.\n- Limits: {{MAXSIZE}} bytes per item (413), {{MAXUPLOADS}} uploads in progress (503 with `Retry-After`), a body that stalls answers 408.\n- Downloads support `Range` (one range; several ranges are answered with the whole item), `If-None-Match`/`If-Modified-Since` (304), `If-Range`, `If-Match`/`If-Unmodified-Since` (412). Conditional `PUT`/`DELETE` (`If-Match`, `If-None-Match: *`) are checked atomically with the change.\n\n## Events\n`GET /sse` streams `created`, `replaced` and `deleted` events (JSON data: kind, type, event, start, size, etag, contentType, url, time) with increasing integer ids and a heartbeat comment every {{HEARTBEAT}} s. The last {{KEPT}} events are kept in memory for `Last-Event-ID` resumption, for the lifetime of the server process only; when the events a client asks to resume from are no longer kept, a `reset` event (no id) comes first, telling it to list the items again.\n\n## Authentication\nWith auth on, send `Authorization: Bearer <token>` (a token of the Conference API; `GET` requests may pass `?access_token=` instead). Reading is allowed to SERVICE tokens and to participants of the conference whose id is the event; writing and deleting to SERVICE tokens. `/ping` and `/openapi` are open.\n\nErrors are JSON `{\"error\": CODE, \"message\": text}`."
  },
  "tags": [
    {"name": "items", "description": "Upload, download, list and delete items"},
    {"name": "service", "description": "Health, events and this document"}
  ],
  "security": [{"bearerAuth": []}, {}],
  "paths": {
    "/ping": {
      "get": {
        "tags": ["service"], "summary": "Health check", "operationId": "ping", "security": [],
        "responses": {"204": {"description": "The store is up."}}
      },
      "head": {
        "tags": ["service"], "summary": "Health check (HEAD)", "operationId": "pingHead", "security": [],
        "responses": {"204": {"description": "The store is up."}}
      }
    },
    "/sse": {
      "get": {
        "tags": ["service"], "summary": "Server-Sent Events for every change", "operationId": "events",
        "description": "A `text/event-stream` that never ends by itself. The first bytes are a `retry:` line and a `: connected` comment; changes made after them are all delivered, in order. Each event has `id`, `event` (`created`, `replaced`, `deleted`, or `reset`) and JSON `data`.",
        "parameters": [
          {"name": "event", "in": "query", "required": false, "description": "Only events of this event (UUID).", "schema": {"type": "string", "format": "uuid"}},
          {"name": "Last-Event-ID", "in": "header", "required": false, "description": "Resume after this event id.", "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}}
        ],
        "responses": {
          "200": {"description": "The event stream.", "content": {"text/event-stream": {"schema": {"type": "string"}, "example": "id: 1717171717171000\nevent: created\ndata: {\"kind\":\"{{KIND}}\",\"type\":\"created\",\"event\":\"0f339cb0-7ab4-43fe-852d-75708232f76c\",\"start\":\"2024-01-01T00:00:00Z\",\"size\":12345,\"etag\":\"\\\"1a2b-3039-17b\\\"\",\"contentType\":\"audio/ogg\",\"url\":\"{{PREFIX}}/0f339cb0-7ab4-43fe-852d-75708232f76c/2024-01-01T00:00:00Z\",\"time\":\"2024-01-01T00:00:05.000Z\"}\n\n"}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"}
        }
      }
    },
    "/openapi": {
      "get": {
        "tags": ["service"], "summary": "API reference (Scalar)", "operationId": "openapiPage", "security": [],
        "responses": {"200": {"description": "HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}}
      }
    },
    "/openapi/openapi.json": {
      "get": {
        "tags": ["service"], "summary": "This OpenAPI document", "operationId": "openapiDocument", "security": [],
        "responses": {"200": {"description": "OpenAPI 3.0.3 JSON.", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
{{ITEMPATHS}}
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    },
    "parameters": {
      "Event": {"name": "event", "in": "path", "required": true, "description": "The event: a UUID.", "schema": {"type": "string", "format": "uuid"}, "example": "0f339cb0-7ab4-43fe-852d-75708232f76c"},
      "Start": {"name": "start", "in": "path", "required": true, "description": "The item's start: an ISO-8601 date-time (zone-less means UTC).", "schema": {"type": "string", "format": "date-time"}, "example": "2024-01-01T00:00:00Z"},
      "IfMatch": {"name": "If-Match", "in": "header", "required": false, "description": "Entity tags, or `*`; 412 unless the current version matches (strong comparison).", "schema": {"type": "string"}},
      "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": false, "description": "Entity tags, or `*`. GET/HEAD: 304 when one matches. PUT/DELETE: 412 when one matches (`If-None-Match: *` makes a PUT create-only).", "schema": {"type": "string"}},
      "IfModifiedSince": {"name": "If-Modified-Since", "in": "header", "required": false, "description": "HTTP date; 304 unless modified after it (ignored with If-None-Match).", "schema": {"type": "string"}},
      "IfUnmodifiedSince": {"name": "If-Unmodified-Since", "in": "header", "required": false, "description": "HTTP date; 412 when modified after it (ignored with If-Match).", "schema": {"type": "string"}},
      "Range": {"name": "Range", "in": "header", "required": false, "description": "`bytes=first-last`, `bytes=first-` or `bytes=-suffix`. One range gives 206; several give the whole item (200); none satisfiable gives 416. A malformed value is ignored.", "schema": {"type": "string"}, "example": "bytes=0-1023"},
      "IfRange": {"name": "If-Range", "in": "header", "required": false, "description": "An entity tag or HTTP date; the Range is honoured only if it still describes the current version.", "schema": {"type": "string"}}
    },
    "headers": {
      "ETag": {"description": "Strong entity tag of the version.", "schema": {"type": "string"}},
      "LastModified": {"description": "HTTP date of the version.", "schema": {"type": "string"}},
      "AcceptRanges": {"description": "Always `bytes`.", "schema": {"type": "string"}},
      "ContentRange": {"description": "`bytes first-last/size` (206) or `bytes */size` (416).", "schema": {"type": "string"}}
    },
    "schemas": {
      "Error": {
        "type": "object", "required": ["error", "message"],
        "properties": {"error": {"type": "string", "example": "INVALID_START"}, "message": {"type": "string"}}
      },
      "Item": {
        "type": "object", "required": ["event", "start", "size", "contentType", "etag", "created", "modified", "url"],
        "properties": {
          "event": {"type": "string", "format": "uuid"},
          "start": {"type": "string", "format": "date-time", "description": "Canonical start (UTC, `Z`)."},
          "size": {"type": "integer", "format": "int64", "minimum": 0},
          "contentType": {"type": "string", "example": "audio/ogg"},
          "etag": {"type": "string", "description": "The item's ETag header value, quotes included."},
          "created": {"type": "string", "format": "date-time", "description": "When the key was first stored."},
          "modified": {"type": "string", "format": "date-time", "description": "When the current version was stored."},
          "url": {"type": "string", "example": "{{PREFIX}}/0f339cb0-7ab4-43fe-852d-75708232f76c/2024-01-01T00:00:00Z"}
        }
      },
      "ItemList": {
        "type": "object", "required": ["kind", "event", "total", "offset", "limit", "items"],
        "properties": {
          "kind": {"type": "string", "enum": ["records", "prerecordings"]},
          "event": {"type": "string", "format": "uuid"},
          "total": {"type": "integer", "description": "Items matching the filters (all pages)."},
          "offset": {"type": "integer"},
          "limit": {"type": "integer"},
          "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}, "description": "This page, sorted by start."}
        }
      }
    },
    "responses": {
      "BadRequest": {"description": "Malformed event, start, query or header.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "No or invalid bearer token (auth on).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Forbidden": {"description": "The token may not do this.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "No such item.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "PreconditionFailed": {"description": "A conditional header does not hold.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  }
}
"""##

    /// The listing and item paths, instantiated for the prefix and its alias.
    static let itemPaths = ##"""
    "{{PREFIX}}/{event}": {
      "parameters": [{"$ref": "#/components/parameters/Event"}],
      "get": {
        "tags": ["items"], "summary": "List an event's items{{ALIASNOTE}}", "operationId": "list{{OPNAME}}",
        "description": "Items sorted by start; `from` ≤ start < `to`. An event without items gives an empty list.",
        "parameters": [
          {"name": "from", "in": "query", "required": false, "description": "Earliest start (inclusive), ISO-8601.", "schema": {"type": "string", "format": "date-time"}},
          {"name": "to", "in": "query", "required": false, "description": "Latest start (exclusive), ISO-8601; not before `from`.", "schema": {"type": "string", "format": "date-time"}},
          {"name": "limit", "in": "query", "required": false, "description": "Page size.", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
          {"name": "offset", "in": "query", "required": false, "description": "Items to skip.", "schema": {"type": "integer", "minimum": 0, "default": 0}}
        ],
        "responses": {
          "200": {"description": "One page of items.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemList"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"}
        }
      }
    },
    "{{PREFIX}}/{event}/{start}": {
      "parameters": [{"$ref": "#/components/parameters/Event"}, {"$ref": "#/components/parameters/Start"}],
      "get": {
        "tags": ["items"], "summary": "Download an item{{ALIASNOTE}}", "operationId": "get{{OPNAME}}",
        "parameters": [
          {"$ref": "#/components/parameters/Range"}, {"$ref": "#/components/parameters/IfRange"},
          {"$ref": "#/components/parameters/IfNoneMatch"}, {"$ref": "#/components/parameters/IfModifiedSince"},
          {"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IfUnmodifiedSince"}
        ],
        "responses": {
          "200": {"description": "The item.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}, "Last-Modified": {"$ref": "#/components/headers/LastModified"}, "Accept-Ranges": {"$ref": "#/components/headers/AcceptRanges"}},
                  "content": {"audio/ogg": {"schema": {"type": "string", "format": "binary"}}}},
          "206": {"description": "The requested range.", "headers": {"Content-Range": {"$ref": "#/components/headers/ContentRange"}, "ETag": {"$ref": "#/components/headers/ETag"}},
                  "content": {"audio/ogg": {"schema": {"type": "string", "format": "binary"}}}},
          "304": {"description": "Not modified.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "416": {"description": "No requested range is satisfiable.", "headers": {"Content-Range": {"$ref": "#/components/headers/ContentRange"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      },
      "head": {
        "tags": ["items"], "summary": "An item's headers{{ALIASNOTE}}", "operationId": "head{{OPNAME}}",
        "parameters": [
          {"$ref": "#/components/parameters/IfNoneMatch"}, {"$ref": "#/components/parameters/IfModifiedSince"},
          {"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IfUnmodifiedSince"}
        ],
        "responses": {
          "200": {"description": "As GET, without the body.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}, "Last-Modified": {"$ref": "#/components/headers/LastModified"}, "Accept-Ranges": {"$ref": "#/components/headers/AcceptRanges"}}},
          "304": {"description": "Not modified."},
          "400": {"description": "Malformed event or start."},
          "401": {"description": "No or invalid bearer token."},
          "403": {"description": "Not allowed."},
          "404": {"description": "No such item."},
          "412": {"description": "A conditional header does not hold."}
        }
      },
      "put": {
        "tags": ["items"], "summary": "Upload or replace an item{{ALIASNOTE}}", "operationId": "put{{OPNAME}}",
        "description": "Streams the body to a temporary file, syncs it and renames it into place. `Transfer-Encoding: chunked` and `Content-Length` are both accepted.",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IfNoneMatch"}, {"$ref": "#/components/parameters/IfUnmodifiedSince"}],
        "requestBody": {"required": true, "content": {"audio/ogg": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {
          "201": {"description": "Created.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}, "Location": {"description": "The item's URL.", "schema": {"type": "string"}}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
          "204": {"description": "Replaced.", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "408": {"description": "The body stalled.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "412": {"$ref": "#/components/responses/PreconditionFailed"},
          "413": {"description": "Larger than {{MAXSIZE}} bytes.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "415": {"description": "Not `audio/ogg`, or the body is not Ogg Opus.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "503": {"description": "Too many uploads in progress (`Retry-After`).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "507": {"description": "The disk is full; the previous version is intact.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      },
      "delete": {
        "tags": ["items"], "summary": "Delete an item{{ALIASNOTE}}", "operationId": "delete{{OPNAME}}",
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}, {"$ref": "#/components/parameters/IfUnmodifiedSince"}],
        "responses": {
          "204": {"description": "Deleted."},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "412": {"$ref": "#/components/responses/PreconditionFailed"}
        }
      }
    }
"""##
}
