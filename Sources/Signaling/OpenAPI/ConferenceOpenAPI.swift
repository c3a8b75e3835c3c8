/// The OpenAPI 3 document of the Conference API face, served at /rtc-api/openapi.json.
enum ConferenceOpenAPI {
    static let json: String = #"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "SFU Conference API",
    "version": "1.0",
    "description": "Operations supporting multi-party video call applications, served by an SFU in **ROUTER** mode only: every stream goes through the server.\n\n## Conventions\n- Requests and responses are JSON (`Content-Type: application/json`), UTF-8. Request bodies are limited to 1 MiB (413 beyond). Unknown fields are ignored.\n- Every error is `{\"error\": CODE, \"message\": text}` (schema `Error`).\n- Identifiers (`conferenceId`, `userEndpointId`, `streamId.id`, `viewerId`) are 1-128 characters of A-Z a-z 0-9 . _ ~ -; anything else is 400. When `conferenceId`, `streamId` or `viewerId` is optional and missing, the server generates a UUID.\n\n## Authentication\nGet a token from `POST /security/oauth/token` (OAuth 2.0 client credentials) and send `Authorization: Bearer <token>` on every other call; `GET` requests for event streams may pass `?access_token=` instead. Roles:\n- `SERVICE` may do everything, on any endpoint.\n- `PARTICIPANT` acts only through user endpoints it joined itself (`join` binds `userEndpointId` to the token's subject; a later call naming that endpoint with another subject's token is 403). It may read a conference (`GET {id}`, `simpleView`, `events`) only while one of its endpoints is joined. `sendEvent` is `SERVICE` only.\n\nWith `--auth off` no token is needed and every caller is treated as `SERVICE` with subject `anonymous`.\n\n## Lifecycle\nA conference with no participants reports `empty: true`; one that stays empty for `--conference-idle-timeout` seconds (default 300) ends by itself (`ConferenceEndedEvent` with reason `IDLE`). An ended conference keeps its event log for `--ended-retention` seconds (default 600); every other call on it answers 404 `CONFERENCE_ENDED`."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "security": [
    {
      "bearerAuth": []
    },
    {
      "oauth2": []
    }
  ],
  "tags": [
    {
      "name": "Conferences",
      "description": "Conference lifecycle, participants, streams and metadata."
    },
    {
      "name": "Events",
      "description": "Conference events: long-poll, Server-Sent Events and custom events."
    },
    {
      "name": "Recordings",
      "description": "Recordings of conferences (document 003): start/stop, listing, assets, download credentials and URLs. Times are Unix epoch milliseconds."
    },
    {
      "name": "Auth",
      "description": "OAuth 2.0 token endpoint."
    },
    {
      "name": "Meta",
      "description": "API description, metrics and health."
    }
  ],
  "paths": {
    "/rtc-api/conferences/create": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "createConference",
        "summary": "Create a conference",
        "description": "Creates a conference (version 1, with its `ConferenceCreatedEvent`). Only `ROUTER` mode is supported: every stream goes through the server.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/CreateConferenceWebCommand"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/ConferenceSummary"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "409": {
            "description": "`conferenceId` already exists (`CONFERENCE_EXISTS`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                },
                "example": {
                  "error": "CONFERENCE_EXISTS",
                  "message": "conference exists: daily-standup-42"
                }
              }
            }
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/end": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "endConference",
        "summary": "End a conference",
        "description": "Ends the conference: every participant leaves (`ConferenceParticipantLeftEvent` with reason `CONFERENCE_ENDED`) and `ConferenceEndedEvent` closes the event log. The log stays readable for `--ended-retention` seconds; every other call on the conference then answers 404 `CONFERENCE_ENDED`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/EndConferenceWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/join": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "joinConference",
        "summary": "Join a conference",
        "description": "Joins a user endpoint to the conference and answers the conference aggregate. With a `PARTICIPANT` token the endpoint is bound to the token's subject; later calls naming it with another subject's token answer 403.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/JoinConferenceWebCommand"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Conference"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "409": {
            "description": "The endpoint id is already joined (`ENDPOINT_EXISTS`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                },
                "example": {
                  "error": "ENDPOINT_EXISTS",
                  "message": "endpoint already joined: alice-laptop-1"
                }
              }
            }
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/leave": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "leaveConference",
        "summary": "Leave a conference",
        "description": "The endpoint leaves the conference; its streams are unpublished and its views stopped.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/LeaveConferenceWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/publishStream": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "publishStream",
        "summary": "Publish a stream",
        "description": "Publishes a stream of the endpoint: the server answers the SDP offer. The request and the SDP offer are validated (malformed offer: 400 `INVALID_SDP` with the reason). Until the media path is enabled the server answers 503 `MEDIA_UNAVAILABLE` and creates nothing.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/ConferencePublishStreamWebCommand"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/ConferencePublishResult"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "409": {
            "description": "`streamId` already exists (`STREAM_EXISTS`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                },
                "example": {
                  "error": "STREAM_EXISTS",
                  "message": "stream exists: cam-1"
                }
              }
            }
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          },
          "503": {
            "$ref": "\u0023/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/rtc-api/conferences/unpublishStream": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "unpublishStream",
        "summary": "Unpublish a stream",
        "description": "Unpublishes a stream of the endpoint; its viewers are stopped.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/ConferenceUnpublishStreamWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/viewStream": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "viewStream",
        "summary": "View a stream",
        "description": "Starts viewing a published stream (typically after `ConferenceStreamPublishedEvent`): the server answers the SDP offer. The request and the SDP offer are validated (malformed offer: 400 `INVALID_SDP` with the reason). Until the media path is enabled the server answers 503 `MEDIA_UNAVAILABLE` and creates nothing.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/ConferenceViewStreamWebCommand"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/ConferenceStreamViewResult"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          },
          "503": {
            "$ref": "\u0023/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/rtc-api/conferences/stopViewStream": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "stopViewStream",
        "summary": "Stop viewing a stream",
        "description": "Stops a viewer. Call it when leaving, or when `ConferenceStreamUnpublishedEvent` is received.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/ConferenceStopViewStreamWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/addPublishStreamIceCandidates": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "addPublishStreamIceCandidates",
        "summary": "Add ICE candidates of a published stream",
        "description": "Adds trickled ICE candidates of a published stream. Call it after `publishStream`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/ConferencePublishStreamIceCandidatesWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/addViewStreamIceCandidates": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "addViewStreamIceCandidates",
        "summary": "Add ICE candidates of a viewer",
        "description": "Adds trickled ICE candidates of a viewer. Call it after `viewStream`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/ConferenceViewStreamIceCandidatesWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/updatePublishedStreamBitrate": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "updatePublishedStreamBitrate",
        "summary": "Update a published stream's bitrate",
        "description": "Sets the video bitrate of a published stream (0 to 100 000 000 bit/s); emits `ConferenceStreamBitrateUpdatedEvent`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/ConferenceUpdatePublishedStreamBitrateWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/updateMetadata": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "updateMetadata",
        "summary": "Update conference metadata",
        "description": "Sets or removes one conference metadata key; emits `ConferenceMetadataUpdatedEvent`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/UpdateConferenceMetadataWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/updateParticipantMetadata": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "updateParticipantMetadata",
        "summary": "Update participant metadata",
        "description": "Replaces the metadata of the endpoint; emits `ConferenceParticipantMetadataUpdatedEvent`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/UpdateConferenceParticipantMetadataWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/updateStreamMetadata": {
      "post": {
        "tags": [
          "Conferences"
        ],
        "operationId": "updateStreamMetadata",
        "summary": "Update stream metadata",
        "description": "Replaces the metadata of a published stream; emits `ConferenceStreamMetadataUpdatedEvent`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/UpdateConferenceStreamMetadataWebCommand"
              }
            }
          }
        },
        "responses": {
          "204": {
            "$ref": "\u0023/components/responses/NoContent"
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/sendEvent": {
      "post": {
        "tags": [
          "Events"
        ],
        "operationId": "sendEvent",
        "summary": "Send a custom event",
        "description": "Sends a custom event to the endpoints joined to the conference and answers how many it was sent to. `SERVICE` role only (403 otherwise). See `qos` and `masks` for delivery and masking.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "\u0023/components/schemas/SendEventToConferenceWebCommand"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/SendEventResponse"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "413": {
            "$ref": "\u0023/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "\u0023/components/responses/UnsupportedMediaType"
          }
        }
      }
    },
    "/rtc-api/conferences/{id}": {
      "get": {
        "tags": [
          "Conferences"
        ],
        "operationId": "getConference",
        "summary": "Get a conference",
        "description": "Answers the conference aggregate. A `PARTICIPANT` may read a conference only while one of its endpoints is joined (403 otherwise).",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The conference id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Conference"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/rtc-api/conferences/{id}/simpleView": {
      "get": {
        "tags": [
          "Conferences"
        ],
        "operationId": "getConferenceSimpleView",
        "summary": "Get a simple view of a conference",
        "description": "Answers the conference grouped by user, then by endpoint. A `PARTICIPANT` may read a conference only while one of its endpoints is joined (403 otherwise).",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The conference id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/ConferenceSimpleView"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/rtc-api/conferences/{id}/events": {
      "get": {
        "tags": [
          "Events"
        ],
        "operationId": "getConferenceEvents",
        "summary": "List (long-poll) conference events",
        "description": "Answers, in order, every event with `conferenceVersion > v` (`v=0`: all). With `wait` (seconds, at most 60) and nothing newer than `v`, the request waits until an event arrives or `wait` passes (then `[]`). With `Accept: text/event-stream` the answer is the event stream instead (as `GET {id}/events/stream`). A `PARTICIPANT` may read a conference only while one of its endpoints is joined (403 otherwise).",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The conference id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          },
          {
            "name": "v",
            "in": "query",
            "required": true,
            "description": "The last version the client has; events with a greater `conferenceVersion` are answered (0: all).",
            "schema": {
              "type": "integer",
              "format": "int64",
              "minimum": 0
            },
            "example": 0
          },
          {
            "name": "wait",
            "in": "query",
            "required": false,
            "description": "Long-poll: seconds to wait for a newer event when there is none (0 to 60).",
            "schema": {
              "type": "integer",
              "minimum": 0,
              "maximum": 60,
              "default": 0
            }
          },
          {
            "name": "userEndpointId",
            "in": "query",
            "required": false,
            "description": "Marks this endpoint as connected while the request is open (for `BEST_EFFORT` delivery of custom events).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            }
          },
          {
            "name": "access_token",
            "in": "query",
            "required": false,
            "description": "The bearer token, for clients that cannot set the `Authorization` header (browsers' `EventSource`).",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The events newer than `v` (JSON), or the event stream when `Accept: text/event-stream`.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "\u0023/components/schemas/ConferenceEvent"
                  }
                }
              },
              "text/event-stream": {
                "schema": {
                  "type": "string",
                  "description": "Server-Sent Events: each event is sent as `id: <conferenceVersion>`, `event: <type>`, `data: <event JSON>` (a `ConferenceEvent`). A comment line `: keep-alive` is sent every 15 s. A reconnecting client sends `Last-Event-ID` (browsers do) or `?v=` and receives what it missed. The stream ends after `ConferenceEndedEvent`."
                },
                "example": "id: 2\nevent: ConferenceParticipantJoinedEvent\ndata: {\"id\":\"5f0c1d7e-2b8a-4c4e-9d1a-0e6f3b1c2a77\",\"conferenceId\":\"daily-standup-42\",\"conferenceVersion\":2,\"organizationId\":\"acme\",\"timestamp\":\"2024-05-01T09:30:00Z\",\"type\":\"ConferenceParticipantJoinedEvent\",\"userEndpointId\":\"alice-laptop-1\",\"userId\":\"alice\"}\n\n: keep-alive\n\n"
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/rtc-api/conferences/{id}/events/stream": {
      "get": {
        "tags": [
          "Events"
        ],
        "operationId": "streamConferenceEvents",
        "summary": "Stream conference events (SSE)",
        "description": "Server-Sent Events: each event is sent as `id: <conferenceVersion>`, `event: <type>`, `data: <event JSON>` (a `ConferenceEvent`). A comment line `: keep-alive` is sent every 15 s. A reconnecting client sends `Last-Event-ID` (browsers do) or `?v=` and receives what it missed. The stream ends after `ConferenceEndedEvent`. Events with `conferenceVersion` greater than `v` (or `Last-Event-ID`) are sent first, then new events as they happen. A `PARTICIPANT` may read a conference only while one of its endpoints is joined (403 otherwise).",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The conference id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          },
          {
            "name": "v",
            "in": "query",
            "required": false,
            "description": "Start after this version (0 or missing: from the start).",
            "schema": {
              "type": "integer",
              "format": "int64",
              "minimum": 0
            }
          },
          {
            "name": "Last-Event-ID",
            "in": "header",
            "required": false,
            "description": "Sent by a reconnecting `EventSource`: the `id` (conferenceVersion) of the last event received; the stream resumes after it.",
            "schema": {
              "type": "integer",
              "format": "int64",
              "minimum": 0
            }
          },
          {
            "name": "userEndpointId",
            "in": "query",
            "required": false,
            "description": "Marks this endpoint as connected while the request is open (for `BEST_EFFORT` delivery of custom events).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            }
          },
          {
            "name": "access_token",
            "in": "query",
            "required": false,
            "description": "The bearer token, for clients that cannot set the `Authorization` header (browsers' `EventSource`).",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The event stream.",
            "content": {
              "text/event-stream": {
                "schema": {
                  "type": "string",
                  "description": "Server-Sent Events: each event is sent as `id: <conferenceVersion>`, `event: <type>`, `data: <event JSON>` (a `ConferenceEvent`). A comment line `: keep-alive` is sent every 15 s. A reconnecting client sends `Last-Event-ID` (browsers do) or `?v=` and receives what it missed. The stream ends after `ConferenceEndedEvent`."
                },
                "example": "id: 2\nevent: ConferenceParticipantJoinedEvent\ndata: {\"id\":\"5f0c1d7e-2b8a-4c4e-9d1a-0e6f3b1c2a77\",\"conferenceId\":\"daily-standup-42\",\"conferenceVersion\":2,\"organizationId\":\"acme\",\"timestamp\":\"2024-05-01T09:30:00Z\",\"type\":\"ConferenceParticipantJoinedEvent\",\"userEndpointId\":\"alice-laptop-1\",\"userId\":\"alice\"}\n\n: keep-alive\n\n"
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/security/oauth/token": {
      "post": {
        "tags": [
          "Auth"
        ],
        "operationId": "issueToken",
        "summary": "Issue an access token (OAuth 2.0 client credentials)",
        "description": "OAuth 2.0 client-credentials grant (RFC 6749 section 4.4). The client authenticates by HTTP Basic (`Authorization: Basic base64(client_id:client_secret)`) or with the form fields `client_id` and `client_secret`. A client with role `SERVICE` may add `user_id` to get a `PARTICIPANT` token for that user (how a backend hands tokens to its browsers).",
        "security": [],
        "requestBody": {
          "required": true,
          "content": {
            "application/x-www-form-urlencoded": {
              "schema": {
                "$ref": "\u0023/components/schemas/TokenRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The access token.",
            "headers": {
              "Cache-Control": {
                "description": "`no-store`",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/TokenResponse"
                },
                "example": {
                  "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig",
                  "token_type": "Bearer",
                  "expires_in": 3600
                }
              }
            }
          },
          "400": {
            "description": "Malformed request, missing parameter or `user_id` not allowed (`invalid_request`), or a grant type other than `client_credentials` (`unsupported_grant_type`).",
            "headers": {
              "Cache-Control": {
                "description": "`no-store`",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/OAuthError"
                },
                "examples": {
                  "invalid_request": {
                    "value": {
                      "error": "invalid_request",
                      "error_description": "missing grant_type"
                    }
                  },
                  "unsupported_grant_type": {
                    "value": {
                      "error": "unsupported_grant_type",
                      "error_description": "only client_credentials is supported"
                    }
                  }
                }
              }
            }
          },
          "401": {
            "description": "Unknown client or wrong secret (`invalid_client`).",
            "headers": {
              "Cache-Control": {
                "description": "`no-store`",
                "schema": {
                  "type": "string"
                }
              },
              "WWW-Authenticate": {
                "description": "`Basic realm=\"sfu\"`",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/OAuthError"
                },
                "example": {
                  "error": "invalid_client",
                  "error_description": "client authentication failed"
                }
              }
            }
          }
        }
      }
    },
    "/rtc-api/openapi.json": {
      "get": {
        "tags": [
          "Meta"
        ],
        "operationId": "getOpenAPIDocument",
        "summary": "This OpenAPI document",
        "security": [],
        "responses": {
          "200": {
            "description": "The OpenAPI 3 document of the Conference API.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": true
                }
              }
            }
          }
        }
      }
    },
    "/rtc-api/openapi": {
      "get": {
        "tags": [
          "Meta"
        ],
        "operationId": "getAPIReference",
        "summary": "API reference page (Scalar)",
        "description": "An HTML page rendering `/rtc-api/openapi.json` with Scalar (loaded from a CDN), with a plain link to the JSON as a fallback.",
        "security": [],
        "responses": {
          "200": {
            "description": "The HTML page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "tags": [
          "Meta"
        ],
        "operationId": "getMetrics",
        "summary": "Prometheus metrics",
        "security": [],
        "responses": {
          "200": {
            "description": "Metrics in the Prometheus text exposition format (version 0.0.4).",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                },
                "example": "\u0023 TYPE sfu_conferences gauge\nsfu_conferences 3\n"
              }
            }
          }
        }
      }
    },
    "/healthz": {
      "get": {
        "tags": [
          "Meta"
        ],
        "operationId": "getHealth",
        "summary": "Liveness check",
        "security": [],
        "responses": {
          "200": {
            "description": "The server is up.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/HealthStatus"
                },
                "example": {
                  "status": "ok"
                }
              }
            }
          }
        }
      }
    },
    "/channels/{uuid}/record/possible": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "isRecordingPossible",
        "summary": "Check if recording is possible",
        "description": "Whether a recording of the channel can start now and, if not, why: `UNKNOWN_CONFERENCE` (no such conference, or it ended), `RECORDER_DISABLED` (`--recorder off`), `INSUFFICIENT_DISK` (less than `--recording-min-free` bytes free), `ALREADY_RECORDING`. `SERVICE`, or a participant of the conference.",
        "parameters": [
          {
            "name": "uuid",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/RecordingPossible"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/channels/{uuid}/record": {
      "post": {
        "tags": [
          "Recordings"
        ],
        "operationId": "startRecording",
        "summary": "Start recording",
        "description": "Starts recording the channel (`SERVICE` only; 403 otherwise). Every published stream, present and future, is written live to its own file. The recording is cut into segments of `--recording-segment` (default 30 minutes); each segment is a set of assets. It stops on `DELETE`, when the conference ends, or when it stays empty for `--recording-empty-timeout` (default 60 s). Errors: 404 `CONFERENCE_NOT_FOUND`; 403 `RECORDING_NOT_PERMITTED` (recorder disabled); 507 `RECORDING_NOT_PERMITTED` (not enough free disk); 409 `RECORDING_IN_PROGRESS`; 503 `MEDIA_UNAVAILABLE` (no media path).",
        "parameters": [
          {
            "name": "uuid",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          }
        ],
        "responses": {
          "201": {
            "description": "Recording started.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Recording"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "409": {
            "description": "Conflict (`RECORDING_IN_PROGRESS`, `ASSET_NOT_READY`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "$ref": "\u0023/components/responses/ServiceUnavailable"
          },
          "507": {
            "description": "Not enough free disk (`RECORDING_NOT_PERMITTED`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "delete": {
        "tags": [
          "Recordings"
        ],
        "operationId": "stopRecording",
        "summary": "Stop recording",
        "description": "Stops the channel's running recording (`SERVICE` only) and answers it with its `endTime`; post-processing then starts in the background. 404 `NOT_RECORDING` if none is running.",
        "parameters": [
          {
            "name": "uuid",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Recording"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/channels/{channelId}/recordings": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "listRecordings",
        "summary": "List recordings for channel",
        "description": "The channel's recordings, also after the conference is gone. `SERVICE` and current participants see all; a participant who has left sees those it took part in. Every query parameter is validated (400 naming it; unknown parameters too).",
        "parameters": [
          {
            "name": "channelId",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          },
          {
            "name": "session",
            "in": "query",
            "required": false,
            "description": "Only recordings of this conference session (instance).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            }
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Page size, 1-1000.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000,
              "default": 100
            }
          },
          {
            "name": "offset",
            "in": "query",
            "required": false,
            "description": "Results to skip.",
            "schema": {
              "type": "integer",
              "minimum": 0,
              "maximum": 1000000000,
              "default": 0
            }
          },
          {
            "name": "sort",
            "in": "query",
            "required": false,
            "description": "Sort column; a recording still in progress sorts as ending last.",
            "schema": {
              "type": "string",
              "enum": [
                "started",
                "ended"
              ],
              "default": "started"
            }
          },
          {
            "name": "order",
            "in": "query",
            "required": false,
            "description": "Sort order.",
            "schema": {
              "type": "string",
              "enum": [
                "asc",
                "desc"
              ],
              "default": "desc"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/RecordingList"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/channels/{channelId}/recordings/{recordingId}": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "getRecording",
        "summary": "Get recording details",
        "parameters": [
          {
            "name": "channelId",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          },
          {
            "name": "recordingId",
            "in": "path",
            "required": true,
            "description": "The recording id (a UUID).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "5b0c7a9e-61a4-4a43-9f0e-1d1f3b8c2a11"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Recording"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/channels/{channelId}/recordings/{recordingId}/assets": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "listRecordingAssets",
        "summary": "List recording assets",
        "description": "Every asset of the recording: one per published stream and segment (`isIndividual`, state `recording` while written), then per segment a combined audio and a combined video, and one archive of the whole recording (state `processing` with `progress`, then `ready` or `failed` with `failureReason`).",
        "parameters": [
          {
            "name": "channelId",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          },
          {
            "name": "recordingId",
            "in": "path",
            "required": true,
            "description": "The recording id (a UUID).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "5b0c7a9e-61a4-4a43-9f0e-1d1f3b8c2a11"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "\u0023/components/schemas/RecordingAsset"
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/channels/{channelId}/recordings/{recordingId}/assets/{assetId}": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "getRecordingAsset",
        "summary": "Get recording asset details",
        "parameters": [
          {
            "name": "channelId",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          },
          {
            "name": "recordingId",
            "in": "path",
            "required": true,
            "description": "The recording id (a UUID).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "5b0c7a9e-61a4-4a43-9f0e-1d1f3b8c2a11"
          },
          {
            "name": "assetId",
            "in": "path",
            "required": true,
            "description": "The asset id (a UUID, stable from the moment the file appears).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/RecordingAsset"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/channels/{channelId}/recordings/{recordingId}/credentials": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "getRecordingCredentials",
        "summary": "Get recording download credentials",
        "description": "A JWT that lists (`GET /channels/recording/assets/{jwt}`) and downloads every ready asset of this recording, valid for `ttl`. It is signed by the server but has its own `typ` and audience: it is not an API token, and an API token is not a credentials token.",
        "parameters": [
          {
            "name": "channelId",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          },
          {
            "name": "recordingId",
            "in": "path",
            "required": true,
            "description": "The recording id (a UUID).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "5b0c7a9e-61a4-4a43-9f0e-1d1f3b8c2a11"
          },
          {
            "name": "ttl",
            "in": "query",
            "required": false,
            "description": "How long the token stays valid: a positive number and a unit `s`, `m`, `h` or `d` (`30s`, `5m`, `1h`, `1d`); at most `7d`; default `5m`. Anything else is 400.",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{1,7}[smhd]$",
              "default": "5m"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/RecordingCredentials"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/channels/{channelId}/recordings/{recordingId}/download": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "getRecordingDownloadUrl",
        "summary": "Download recording",
        "description": "An absolute, time-limited URL (built from the request's `Host`) that downloads one asset with no other credential: `kind` `archive` (default), `combined_video` or `combined_audio`, or any asset by `assetId`. 404 `ASSET_NOT_FOUND` if the recording has no such asset, 409 `ASSET_NOT_READY` while it is processing or if it failed.",
        "parameters": [
          {
            "name": "channelId",
            "in": "path",
            "required": true,
            "description": "The channel (conference) id.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "daily-standup-42"
          },
          {
            "name": "recordingId",
            "in": "path",
            "required": true,
            "description": "The recording id (a UUID).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            },
            "example": "5b0c7a9e-61a4-4a43-9f0e-1d1f3b8c2a11"
          },
          {
            "name": "ttl",
            "in": "query",
            "required": false,
            "description": "How long the token stays valid: a positive number and a unit `s`, `m`, `h` or `d` (`30s`, `5m`, `1h`, `1d`); at most `7d`; default `5m`. Anything else is 400.",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]{1,7}[smhd]$",
              "default": "5m"
            }
          },
          {
            "name": "kind",
            "in": "query",
            "required": false,
            "description": "Which asset.",
            "schema": {
              "type": "string",
              "enum": [
                "archive",
                "combined_video",
                "combined_audio"
              ],
              "default": "archive"
            }
          },
          {
            "name": "assetId",
            "in": "query",
            "required": false,
            "description": "Instead of `kind`: any one asset by id (e.g. one participant's stream).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/RecordingDownloadUrl"
                }
              }
            }
          },
          "400": {
            "$ref": "\u0023/components/responses/BadRequest"
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "\u0023/components/responses/Forbidden"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "409": {
            "description": "Conflict (`RECORDING_IN_PROGRESS`, `ASSET_NOT_READY`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/channels/recording/assets/{jwtToken}": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "listDownloadableAssets",
        "summary": "List available recording assets",
        "description": "The ready assets the credentials token may download, each with a `url`. No bearer token: the path's token is the credential (401 if expired, forged or of another kind).",
        "security": [],
        "parameters": [
          {
            "name": "jwtToken",
            "in": "path",
            "required": true,
            "description": "A credentials token from `.../credentials`.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 8192
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "\u0023/components/schemas/DownloadableAsset"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          }
        }
      }
    },
    "/channels/recording/assets/{jwtToken}/{assetId}": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "downloadAssetWithCredentials",
        "summary": "Download asset using JWT",
        "description": "Streams one ready asset of the credentials token's recording; supports `HEAD` and single `Range`s.",
        "security": [],
        "parameters": [
          {
            "name": "jwtToken",
            "in": "path",
            "required": true,
            "description": "A credentials token from `.../credentials`.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 8192
            }
          },
          {
            "name": "assetId",
            "in": "path",
            "required": true,
            "description": "The asset id (a UUID, stable from the moment the file appears).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._~-]{1,128}$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The whole file.",
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            },
            "headers": {
              "Accept-Ranges": {
                "schema": {
                  "type": "string",
                  "enum": [
                    "bytes"
                  ]
                }
              }
            }
          },
          "206": {
            "description": "One byte range (`Range: bytes=first-last`).",
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            },
            "headers": {
              "Content-Range": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "409": {
            "description": "Conflict (`RECORDING_IN_PROGRESS`, `ASSET_NOT_READY`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                }
              }
            }
          },
          "416": {
            "description": "The range selects no byte of the file.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/channels/recording/download/{jwtToken}": {
      "get": {
        "tags": [
          "Recordings"
        ],
        "operationId": "downloadAsset",
        "summary": "Download an asset (URL from .../download)",
        "description": "Streams the one asset named by the download token (from `.../download`); supports `HEAD` and single `Range`s. 401 if the token is expired, forged, or not a download token.",
        "security": [],
        "parameters": [
          {
            "name": "jwtToken",
            "in": "path",
            "required": true,
            "description": "A download token.",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 8192
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The whole file.",
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            },
            "headers": {
              "Accept-Ranges": {
                "schema": {
                  "type": "string",
                  "enum": [
                    "bytes"
                  ]
                }
              }
            }
          },
          "206": {
            "description": "One byte range (`Range: bytes=first-last`).",
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              }
            },
            "headers": {
              "Content-Range": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "\u0023/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "\u0023/components/responses/NotFound"
          },
          "409": {
            "description": "Conflict (`RECORDING_IN_PROGRESS`, `ASSET_NOT_READY`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                }
              }
            }
          },
          "416": {
            "description": "The range selects no byte of the file.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "\u0023/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "HS256 JWT from `POST /security/oauth/token`."
      },
      "oauth2": {
        "type": "oauth2",
        "description": "OAuth 2.0 client credentials.",
        "flows": {
          "clientCredentials": {
            "tokenUrl": "/security/oauth/token",
            "scopes": {}
          }
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "Malformed JSON, missing mandatory field (the message names it), wrong type or enum value, invalid id or malformed SDP (`MISSING_FIELD`, `INVALID_FIELD`, `INVALID_JSON`, `INVALID_SDP`, `UNSUPPORTED_MODE`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "\u0023/components/schemas/Error"
            },
            "example": {
              "error": "MISSING_FIELD",
              "message": "missing mandatory field: conferenceId"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No, expired or forged bearer token (`UNAUTHORIZED`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "\u0023/components/schemas/Error"
            },
            "example": {
              "error": "UNAUTHORIZED",
              "message": "missing or invalid bearer token"
            }
          }
        },
        "headers": {
          "WWW-Authenticate": {
            "description": "`Bearer realm=\"sfu\"`",
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "Forbidden": {
        "description": "Acting on an endpoint that is not yours, or a role that may not call this (`FORBIDDEN`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "\u0023/components/schemas/Error"
            },
            "example": {
              "error": "FORBIDDEN",
              "message": "endpoint belongs to another user"
            }
          }
        }
      },
      "NotFound": {
        "description": "Unknown conference, endpoint, stream or viewer, or ended conference (`CONFERENCE_NOT_FOUND`, `ENDPOINT_NOT_FOUND`, `STREAM_NOT_FOUND`, `VIEWER_NOT_FOUND`, `CONFERENCE_ENDED`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "\u0023/components/schemas/Error"
            },
            "example": {
              "error": "CONFERENCE_NOT_FOUND",
              "message": "conference not found: daily-standup-42"
            }
          }
        }
      },
      "PayloadTooLarge": {
        "description": "Request body larger than 1 MiB (`PAYLOAD_TOO_LARGE`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "\u0023/components/schemas/Error"
            },
            "example": {
              "error": "PAYLOAD_TOO_LARGE",
              "message": "request body exceeds 1048576 bytes"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "Request body is not `application/json` (`UNSUPPORTED_MEDIA_TYPE`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "\u0023/components/schemas/Error"
            },
            "example": {
              "error": "UNSUPPORTED_MEDIA_TYPE",
              "message": "expected application/json"
            }
          }
        }
      },
      "ServiceUnavailable": {
        "description": "Media path unavailable, server overloaded or shutting down (`MEDIA_UNAVAILABLE`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "\u0023/components/schemas/Error"
            },
            "example": {
              "error": "MEDIA_UNAVAILABLE",
              "message": "media path is not enabled"
            }
          }
        }
      },
      "NoContent": {
        "description": "Done."
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "description": "Every error answer of the Conference API. `error` is a stable machine-readable code, `message` a human-readable text (for a missing mandatory field it names the field).\n\n| status | `error` codes |\n|---|---|\n| 400 | `MISSING_FIELD`, `INVALID_FIELD`, `INVALID_JSON`, `INVALID_SDP`, `UNSUPPORTED_MODE` |\n| 401 | `UNAUTHORIZED` |\n| 403 | `FORBIDDEN` |\n| 404 | `CONFERENCE_NOT_FOUND`, `ENDPOINT_NOT_FOUND`, `STREAM_NOT_FOUND`, `VIEWER_NOT_FOUND`, `CONFERENCE_ENDED` |\n| 409 | `CONFERENCE_EXISTS`, `ENDPOINT_EXISTS`, `STREAM_EXISTS` |\n| 413 | `PAYLOAD_TOO_LARGE` |\n| 415 | `UNSUPPORTED_MEDIA_TYPE` |\n| 503 | `MEDIA_UNAVAILABLE` |",
        "required": [
          "error",
          "message"
        ],
        "properties": {
          "error": {
            "type": "string",
            "description": "Machine-readable error code.",
            "example": "MISSING_FIELD"
          },
          "message": {
            "type": "string",
            "description": "Human-readable explanation.",
            "example": "missing mandatory field: conferenceId"
          }
        }
      },
      "StreamId": {
        "type": "object",
        "description": "Identifies a published stream.",
        "required": [
          "id"
        ],
        "properties": {
          "id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The stream id (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "cam-1"
          }
        }
      },
      "IceCandidate": {
        "type": "object",
        "description": "A trickled ICE candidate, as produced by the browser's RTCIceCandidate.",
        "properties": {
          "candidate": {
            "type": "string",
            "description": "The candidate line (without the `a=` prefix).",
            "example": "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0"
          },
          "sdpMLineIndex": {
            "type": "integer",
            "format": "int32",
            "minimum": 0,
            "description": "Index of the media description the candidate belongs to."
          },
          "sdpMid": {
            "type": "string",
            "description": "The media stream identification tag (`a=mid`)."
          }
        }
      },
      "Metadata": {
        "type": "object",
        "description": "One entry of the conference metadata: its value and who set it when.",
        "properties": {
          "lastModified": {
            "type": "string",
            "format": "date-time"
          },
          "userEndpointId": {
            "type": "string",
            "description": "The endpoint that last set the key."
          },
          "userId": {
            "type": "string",
            "description": "The user (token subject) that last set the key."
          },
          "value": {
            "type": "string"
          }
        }
      },
      "CreateConferenceWebCommand": {
        "type": "object",
        "description": "Creates a conference. Every field is optional.",
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Must be unique; when missing the server generates a UUID. Optional (1-128 characters of A-Z a-z 0-9 . _ ~ -)."
          },
          "creatorEndpoint": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The creator's user endpoint id. Optional (1-128 characters of A-Z a-z 0-9 . _ ~ -)."
          },
          "metadata": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "Initial conference metadata (string values). Optional."
          },
          "mode": {
            "type": "string",
            "enum": [
              "ROUTER",
              "P2P"
            ],
            "default": "ROUTER",
            "description": "The conference mode. Only `ROUTER` is supported; `P2P` answers 400 `UNSUPPORTED_MODE`. Optional."
          },
          "organizationId": {
            "type": "string",
            "description": "Organization id, for internal use only. Optional."
          }
        }
      },
      "JoinConferenceWebCommand": {
        "type": "object",
        "description": "Joins a user endpoint to a conference. With a PARTICIPANT token the endpoint is bound to the token's subject.",
        "required": [
          "conferenceId",
          "userEndpointId"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference to join. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -)."
          },
          "metadata": {
            "type": "object",
            "additionalProperties": true,
            "description": "Metadata of the participant. Optional."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id of the user that joins. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -)."
          }
        }
      },
      "LeaveConferenceWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "reason": {
            "type": "string",
            "description": "A reason for leaving, copied into `ConferenceParticipantLeftEvent`. Optional."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          }
        }
      },
      "EndConferenceWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "reason": {
            "type": "string",
            "description": "A reason for ending, copied into `ConferenceEndedEvent`. Optional."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          }
        }
      },
      "ConferencePublishStreamWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "conferenceStreamType",
          "sdpOffer"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "conferenceStreamType": {
            "type": "string",
            "enum": [
              "CAM",
              "MIC",
              "SCREEN",
              "MIC_AND_CAM"
            ],
            "description": "The stream type. Mandatory."
          },
          "metadata": {
            "type": "object",
            "additionalProperties": true,
            "description": "Stream metadata. Optional."
          },
          "sdpOffer": {
            "type": "string",
            "description": "The SDP offer of the publishing peer connection. Mandatory."
          },
          "streamId": {
            "allOf": [
              {
                "$ref": "\u0023/components/schemas/StreamId"
              }
            ],
            "description": "The stream id; when missing the server generates a UUID. Optional."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          },
          "videoBitrate": {
            "type": "integer",
            "format": "int32",
            "minimum": 0,
            "description": "Stream video bitrate in bit/s. Optional."
          }
        }
      },
      "ConferencePublishResult": {
        "type": "object",
        "required": [
          "sdpAnswer",
          "streamId"
        ],
        "properties": {
          "sdpAnswer": {
            "type": "string",
            "description": "The server's SDP answer."
          },
          "streamId": {
            "$ref": "\u0023/components/schemas/StreamId"
          }
        }
      },
      "ConferenceUnpublishStreamWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "streamId"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "streamId": {
            "allOf": [
              {
                "$ref": "\u0023/components/schemas/StreamId"
              }
            ],
            "description": "The stream to unpublish. Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          }
        }
      },
      "ConferenceViewStreamWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "streamId",
          "sdpOffer"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "metadata": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "Viewer metadata (string values). Optional."
          },
          "sdpOffer": {
            "type": "string",
            "description": "The SDP offer of the viewing peer connection. Mandatory."
          },
          "streamId": {
            "allOf": [
              {
                "$ref": "\u0023/components/schemas/StreamId"
              }
            ],
            "description": "The stream to view. Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id of the viewer. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -)."
          },
          "viewerId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The viewer id; when missing the server generates a UUID. Optional (1-128 characters of A-Z a-z 0-9 . _ ~ -)."
          }
        }
      },
      "ConferenceStreamViewResult": {
        "type": "object",
        "required": [
          "sdpAnswer",
          "viewerId"
        ],
        "properties": {
          "sdpAnswer": {
            "type": "string",
            "description": "The server's SDP answer."
          },
          "viewerId": {
            "type": "string",
            "description": "The viewer id (as given or generated)."
          }
        }
      },
      "ConferenceStopViewStreamWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "streamId",
          "viewerId"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "streamId": {
            "allOf": [
              {
                "$ref": "\u0023/components/schemas/StreamId"
              }
            ],
            "description": "The viewed stream. Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          },
          "viewerId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The viewer id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "viewer-7f3a"
          }
        }
      },
      "ConferencePublishStreamIceCandidatesWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "streamId",
          "iceCandidates"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "iceCandidates": {
            "type": "array",
            "items": {
              "$ref": "\u0023/components/schemas/IceCandidate"
            },
            "description": "The ICE candidates found so far. Mandatory."
          },
          "streamId": {
            "allOf": [
              {
                "$ref": "\u0023/components/schemas/StreamId"
              }
            ],
            "description": "The published stream. Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          }
        }
      },
      "ConferenceViewStreamIceCandidatesWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "streamId",
          "iceCandidates",
          "viewerId"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "iceCandidates": {
            "type": "array",
            "items": {
              "$ref": "\u0023/components/schemas/IceCandidate"
            },
            "description": "The ICE candidates found so far. Mandatory."
          },
          "streamId": {
            "allOf": [
              {
                "$ref": "\u0023/components/schemas/StreamId"
              }
            ],
            "description": "The viewed stream. Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          },
          "viewerId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The viewer id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "viewer-7f3a"
          }
        }
      },
      "ConferenceUpdatePublishedStreamBitrateWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "streamId",
          "videoBitrate"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "streamId": {
            "allOf": [
              {
                "$ref": "\u0023/components/schemas/StreamId"
              }
            ],
            "description": "The published stream. Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          },
          "videoBitrate": {
            "type": "integer",
            "format": "int32",
            "minimum": 0,
            "maximum": 100000000,
            "description": "The new video bitrate in bit/s (0 to 100 000 000). Mandatory."
          }
        }
      },
      "UpdateConferenceMetadataWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "key",
          "operation"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "key": {
            "type": "string",
            "minLength": 1,
            "description": "The metadata key. Mandatory."
          },
          "operation": {
            "type": "string",
            "enum": [
              "SET",
              "REMOVE"
            ],
            "description": "`SET` or `REMOVE`. Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          },
          "value": {
            "type": "string",
            "description": "The value. Mandatory when `operation` is `SET` (400 `MISSING_FIELD` otherwise); ignored for `REMOVE`."
          }
        }
      },
      "UpdateConferenceParticipantMetadataWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "newMetadata"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "newMetadata": {
            "type": "object",
            "additionalProperties": true,
            "description": "The new metadata of the participant (replaces the old). Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          }
        }
      },
      "UpdateConferenceStreamMetadataWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "userEndpointId",
          "streamId",
          "newMetadata"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "daily-standup-42"
          },
          "newMetadata": {
            "type": "object",
            "additionalProperties": true,
            "description": "The new metadata of the stream (replaces the old). Mandatory."
          },
          "streamId": {
            "allOf": [
              {
                "$ref": "\u0023/components/schemas/StreamId"
              }
            ],
            "description": "The published stream. Mandatory."
          },
          "userEndpointId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The user endpoint id. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -).",
            "example": "alice-laptop-1"
          }
        }
      },
      "SendEventToConferenceWebCommand": {
        "type": "object",
        "required": [
          "conferenceId",
          "event"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "The conference whose joined endpoints receive the event. Mandatory (1-128 characters of A-Z a-z 0-9 . _ ~ -)."
          },
          "event": {
            "type": "object",
            "description": "The event. `type` and `timestamp` are mandatory; any other fields are carried as sent. `type` starts with a capital letter, is camel case and ends in `Event` (e.g. `RecordingStartedEvent`); `timestamp` is an ISO-8601 instant (e.g. `2011-12-03T10:15:30Z`).",
            "required": [
              "type",
              "timestamp"
            ],
            "properties": {
              "type": {
                "type": "string",
                "pattern": "^[A-Z][A-Za-z0-9]*Event$",
                "example": "RecordingStartedEvent"
              },
              "timestamp": {
                "type": "string",
                "format": "date-time",
                "example": "2011-12-03T10:15:30Z"
              }
            },
            "additionalProperties": true
          },
          "masks": {
            "type": "array",
            "items": {
              "type": "string",
              "example": "$.payload.email"
            },
            "description": "JSON paths (`$.a.b`, `$['a']`, `$.list[0]`, `$.list[*].x`, `$..name`). Every string they select is replaced by `*`s of the same length in the stored log and in logs; endpoints connected at send time receive the event as sent. Optional; no masks by default."
          },
          "qos": {
            "type": "string",
            "enum": [
              "AT_LEAST_ONCE",
              "BEST_EFFORT"
            ],
            "default": "BEST_EFFORT",
            "description": "`AT_LEAST_ONCE`: appended to the event log (takes a version like any change), so reconnecting endpoints still receive it. `BEST_EFFORT` (default): pushed only to endpoints connected now (open event stream or waiting long-poll with `userEndpointId`), not stored."
          }
        }
      },
      "SendEventResponse": {
        "type": "object",
        "required": [
          "eventsSent"
        ],
        "properties": {
          "eventsSent": {
            "type": "integer",
            "format": "int32",
            "minimum": 0,
            "description": "`AT_LEAST_ONCE`: the number of joined endpoints. `BEST_EFFORT`: the number of endpoints connected now."
          }
        }
      },
      "ConferenceSummary": {
        "type": "object",
        "required": [
          "id",
          "mode",
          "version"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "mode": {
            "type": "string",
            "enum": [
              "ROUTER",
              "P2P"
            ]
          },
          "version": {
            "type": "integer",
            "format": "int64",
            "description": "The conference version (1 right after creation)."
          }
        }
      },
      "ConferenceStream": {
        "type": "object",
        "required": [
          "id",
          "type"
        ],
        "properties": {
          "id": {
            "$ref": "\u0023/components/schemas/StreamId"
          },
          "metadata": {
            "type": "object",
            "additionalProperties": true,
            "description": "Stream metadata.",
            "nullable": true
          },
          "type": {
            "type": "string",
            "enum": [
              "CAM",
              "MIC",
              "SCREEN",
              "MIC_AND_CAM"
            ]
          },
          "videoBitrate": {
            "type": "integer",
            "format": "int32",
            "nullable": true,
            "description": "Video bitrate in bit/s; null when never set."
          }
        }
      },
      "ConferenceParticipant": {
        "type": "object",
        "required": [
          "id",
          "userId",
          "state",
          "streams"
        ],
        "properties": {
          "id": {
            "type": "string",
            "description": "The user endpoint id."
          },
          "metadata": {
            "type": "object",
            "additionalProperties": true,
            "description": "Participant metadata.",
            "nullable": true
          },
          "state": {
            "type": "string",
            "enum": [
              "HEALTHY",
              "SICK"
            ]
          },
          "streams": {
            "type": "array",
            "items": {
              "$ref": "\u0023/components/schemas/ConferenceStream"
            }
          },
          "userId": {
            "type": "string",
            "description": "The user (token subject) owning the endpoint."
          }
        }
      },
      "Conference": {
        "type": "object",
        "description": "The conference aggregate.",
        "required": [
          "id",
          "mode",
          "version",
          "empty",
          "metadata",
          "participants"
        ],
        "properties": {
          "creator": {
            "type": "string",
            "description": "The user (token subject) that created the conference."
          },
          "creatorEndpoint": {
            "type": "string",
            "nullable": true,
            "description": "The creator's endpoint id; null when not given."
          },
          "empty": {
            "type": "boolean",
            "description": "True when the conference has no participants."
          },
          "id": {
            "type": "string"
          },
          "metadata": {
            "type": "object",
            "additionalProperties": {
              "$ref": "\u0023/components/schemas/Metadata"
            },
            "description": "Conference metadata by key."
          },
          "mode": {
            "type": "string",
            "enum": [
              "ROUTER",
              "P2P"
            ]
          },
          "organizationId": {
            "type": "string",
            "nullable": true
          },
          "participants": {
            "type": "array",
            "items": {
              "$ref": "\u0023/components/schemas/ConferenceParticipant"
            }
          },
          "version": {
            "type": "integer",
            "format": "int64"
          }
        }
      },
      "ConferenceSimpleViewParticipantEndpointStream": {
        "type": "object",
        "required": [
          "id",
          "type"
        ],
        "properties": {
          "id": {
            "type": "string",
            "description": "The stream id."
          },
          "metadata": {
            "type": "object",
            "additionalProperties": true,
            "description": "Stream metadata.",
            "nullable": true
          },
          "type": {
            "type": "string",
            "enum": [
              "CAM",
              "MIC",
              "SCREEN",
              "MIC_AND_CAM"
            ]
          }
        }
      },
      "ConferenceSimpleViewParticipantEndpoint": {
        "type": "object",
        "required": [
          "id",
          "state",
          "streams"
        ],
        "properties": {
          "id": {
            "type": "string",
            "description": "The user endpoint id."
          },
          "metadata": {
            "type": "object",
            "additionalProperties": true,
            "description": "Participant (endpoint) metadata.",
            "nullable": true
          },
          "state": {
            "type": "string",
            "enum": [
              "HEALTHY",
              "SICK"
            ]
          },
          "streams": {
            "type": "array",
            "items": {
              "$ref": "\u0023/components/schemas/ConferenceSimpleViewParticipantEndpointStream"
            }
          }
        }
      },
      "ConferenceSimpleViewParticipant": {
        "type": "object",
        "required": [
          "id",
          "endpoints"
        ],
        "properties": {
          "endpoints": {
            "type": "array",
            "items": {
              "$ref": "\u0023/components/schemas/ConferenceSimpleViewParticipantEndpoint"
            }
          },
          "id": {
            "type": "string",
            "description": "The user id (token subject)."
          }
        }
      },
      "ConferenceSimpleView": {
        "type": "object",
        "description": "The conference grouped by user, then by endpoint; more convenient for some UI clients.",
        "required": [
          "id",
          "mode",
          "version",
          "metadata",
          "participants"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "metadata": {
            "type": "object",
            "additionalProperties": {
              "$ref": "\u0023/components/schemas/Metadata"
            }
          },
          "mode": {
            "type": "string",
            "enum": [
              "ROUTER",
              "P2P"
            ]
          },
          "participants": {
            "type": "array",
            "items": {
              "$ref": "\u0023/components/schemas/ConferenceSimpleViewParticipant"
            }
          },
          "version": {
            "type": "integer",
            "format": "int64"
          }
        }
      },
      "ConferenceEvent": {
        "type": "object",
        "description": "A conference event. Every event has the base fields below plus the fields of its `type`:\n\n| type | extra fields |\n|---|---|\n| `ConferenceCreatedEvent` | `creator`, `creatorEndpoint`, `mode`, `metadata` |\n| `ConferenceParticipantJoinedEvent` | `userEndpointId`, `userId`, `metadata` |\n| `ConferenceParticipantLeftEvent` | `userEndpointId`, `userId`, `reason` (`LEFT`, `CONSENT_EXPIRED`, `CONFERENCE_ENDED`, or the caller's reason) |\n| `ConferenceParticipantMetadataUpdatedEvent` | `userEndpointId`, `userId`, `metadata` |\n| `ConferenceParticipantStateChangedEvent` | `userEndpointId`, `userId`, `state` (`HEALTHY`, `SICK`) |\n| `ConferenceStreamPublishedEvent` | `userEndpointId`, `userId`, `streamId`, `streamType`, `metadata`, `videoBitrate` |\n| `ConferenceStreamUnpublishedEvent` | `userEndpointId`, `userId`, `streamId`, `reason` |\n| `ConferenceStreamMetadataUpdatedEvent` | `userEndpointId`, `streamId`, `metadata` |\n| `ConferenceStreamBitrateUpdatedEvent` | `userEndpointId`, `streamId`, `videoBitrate` |\n| `ConferenceStreamViewStartedEvent` | `userEndpointId`, `streamId`, `viewerId` |\n| `ConferenceStreamViewStoppedEvent` | `userEndpointId`, `streamId`, `viewerId` |\n| `ConferenceMetadataUpdatedEvent` | `userEndpointId`, `userId`, `key`, `operation`, `value` |\n| `ConferenceEndedEvent` | `reason` (`ENDED`, `IDLE`, or the caller's reason), `userEndpointId` |\n| custom (`sendEvent`) | the event's own fields; `type` and `timestamp` as sent |\n\nA conference starts at version 1 with its `ConferenceCreatedEvent`; every change adds exactly one to the version and appends exactly one event carrying the new version as `conferenceVersion` (gap-free, strictly increasing).",
        "required": [
          "id",
          "conferenceId",
          "conferenceVersion",
          "timestamp",
          "type"
        ],
        "properties": {
          "conferenceId": {
            "type": "string",
            "description": "The conference this event belongs to."
          },
          "conferenceVersion": {
            "type": "integer",
            "format": "int64",
            "description": "The conference version this event produced; use it for ordering and deduplication."
          },
          "id": {
            "type": "string",
            "description": "Event id, unique per event."
          },
          "organizationId": {
            "type": "string",
            "nullable": true,
            "description": "The organization id."
          },
          "timestamp": {
            "type": "string",
            "format": "date-time"
          },
          "type": {
            "type": "string",
            "description": "The event type (see the table above).",
            "example": "ConferenceParticipantJoinedEvent"
          }
        },
        "additionalProperties": true,
        "example": {
          "id": "5f0c1d7e-2b8a-4c4e-9d1a-0e6f3b1c2a77",
          "conferenceId": "daily-standup-42",
          "conferenceVersion": 2,
          "organizationId": "acme",
          "timestamp": "2024-05-01T09:30:00Z",
          "type": "ConferenceParticipantJoinedEvent",
          "userEndpointId": "alice-laptop-1",
          "userId": "alice",
          "metadata": {
            "displayName": "Alice"
          }
        }
      },
      "TokenRequest": {
        "type": "object",
        "description": "OAuth 2.0 client-credentials token request (RFC 6749 section 4.4). The client authenticates either with HTTP Basic (`Authorization: Basic base64(client_id:client_secret)`) or with the form fields `client_id` and `client_secret`.",
        "required": [
          "grant_type"
        ],
        "properties": {
          "grant_type": {
            "type": "string",
            "enum": [
              "client_credentials"
            ]
          },
          "client_id": {
            "type": "string",
            "description": "The client id (when not sent by HTTP Basic)."
          },
          "client_secret": {
            "type": "string",
            "format": "password",
            "description": "The client secret (when not sent by HTTP Basic)."
          },
          "user_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[A-Za-z0-9._~-]{1,128}$",
            "description": "Only for clients with role `SERVICE` (400 `invalid_request` otherwise): issue a `PARTICIPANT` token whose subject is this user (1-128 characters of A-Z a-z 0-9 . _ ~ -)."
          },
          "expires_in": {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "description": "Requested lifetime in seconds; it can only shorten the server's token lifetime."
          }
        }
      },
      "TokenResponse": {
        "type": "object",
        "description": "An access token: an HS256 JWT with claims `sub` (user id), `roles`, `org` (organization id), `iat`, `exp`, `iss` = `sfu`, `jti`.",
        "required": [
          "access_token",
          "token_type",
          "expires_in"
        ],
        "properties": {
          "access_token": {
            "type": "string",
            "description": "The JWT."
          },
          "token_type": {
            "type": "string",
            "enum": [
              "Bearer"
            ]
          },
          "expires_in": {
            "type": "integer",
            "format": "int64",
            "minimum": 0,
            "description": "Lifetime in seconds."
          }
        }
      },
      "OAuthError": {
        "type": "object",
        "description": "OAuth 2.0 error answer (RFC 6749 section 5.2).",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "string",
            "enum": [
              "invalid_request",
              "unsupported_grant_type",
              "invalid_client"
            ]
          },
          "error_description": {
            "type": "string"
          }
        }
      },
      "HealthStatus": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ok"
            ]
          }
        }
      },
      "RecordingPossible": {
        "type": "object",
        "required": [
          "possible",
          "reason"
        ],
        "properties": {
          "possible": {
            "type": "boolean"
          },
          "reason": {
            "type": "string",
            "nullable": true,
            "enum": [
              "UNKNOWN_CONFERENCE",
              "RECORDER_DISABLED",
              "INSUFFICIENT_DISK",
              "ALREADY_RECORDING",
              null
            ],
            "description": "Why not; null when possible."
          },
          "message": {
            "type": "string",
            "nullable": true,
            "description": "The reason in words."
          }
        }
      },
      "Recording": {
        "type": "object",
        "required": [
          "id",
          "channel",
          "session",
          "startTime",
          "endTime",
          "readyTime"
        ],
        "properties": {
          "id": {
            "type": "string",
            "description": "The recording id (UUID)."
          },
          "channel": {
            "type": "string",
            "description": "The channel (conference) id."
          },
          "session": {
            "type": "string",
            "description": "The conference session: one instance of the conference id (ids can be reused after a conference ends)."
          },
          "startTime": {
            "type": "integer",
            "format": "int64",
            "description": "When recording started (Unix epoch milliseconds)."
          },
          "endTime": {
            "type": "integer",
            "format": "int64",
            "nullable": true,
            "description": "When recording ended; null while recording (Unix epoch milliseconds)."
          },
          "readyTime": {
            "type": "integer",
            "format": "int64",
            "nullable": true,
            "description": "When post-processing finished and every asset is ready or failed; null while processing (Unix epoch milliseconds)."
          },
          "segments": {
            "type": "integer",
            "description": "Number of segments so far."
          },
          "stopReason": {
            "type": "string",
            "nullable": true,
            "description": "Why it stopped (stopped by a user, conference ended, conference empty, server stopped)."
          }
        }
      },
      "RecordingList": {
        "type": "object",
        "required": [
          "total",
          "results"
        ],
        "properties": {
          "total": {
            "type": "integer",
            "description": "Recordings matching the filter (before paging)."
          },
          "results": {
            "type": "array",
            "items": {
              "$ref": "\u0023/components/schemas/Recording"
            }
          }
        }
      },
      "RecordingAsset": {
        "type": "object",
        "required": [
          "id",
          "recordingId",
          "format",
          "kind",
          "isIndividual",
          "state",
          "label",
          "startTime"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "recordingId": {
            "type": "string"
          },
          "format": {
            "type": "string",
            "description": "Container: `ogg` (Ogg Opus), `webm`, `mkv` (H.264), `tar` (archive)."
          },
          "kind": {
            "type": "string",
            "enum": [
              "audio",
              "video",
              "other"
            ]
          },
          "isIndividual": {
            "type": "boolean",
            "description": "One published stream (not a mix or the archive)."
          },
          "streamUserId": {
            "type": "string",
            "nullable": true,
            "description": "The publishing user's id (individual streams). A string: user ids of this server are strings."
          },
          "group": {
            "type": "string",
            "nullable": true,
            "description": "The stream id (individual streams)."
          },
          "state": {
            "type": "string",
            "enum": [
              "recording",
              "processing",
              "ready",
              "failed"
            ]
          },
          "progress": {
            "type": "number",
            "nullable": true,
            "description": "0-1 while processing."
          },
          "failureReason": {
            "type": "string",
            "nullable": true,
            "description": "Why the asset failed."
          },
          "size": {
            "type": "integer",
            "format": "int64",
            "nullable": true,
            "description": "Bytes."
          },
          "url": {
            "type": "string",
            "nullable": true,
            "description": "Always null: there is no upload provider; use `.../download` or `.../credentials`."
          },
          "relativePath": {
            "type": "string",
            "description": "Path relative to the recording's directory, e.g. `0/<stream>.ogg`, `0/mix/combined-audio.ogg`, `archive.tar`."
          },
          "label": {
            "type": "string"
          },
          "userId": {
            "type": "string",
            "nullable": true,
            "description": "Who started the recording."
          },
          "startTime": {
            "type": "integer",
            "format": "int64",
            "description": "When the asset's media starts (Unix epoch milliseconds)."
          },
          "endTime": {
            "type": "integer",
            "format": "int64",
            "nullable": true,
            "description": "When it ends; null while recording (Unix epoch milliseconds)."
          },
          "segment": {
            "type": "integer",
            "description": "Segment index (0, 1, ...)."
          },
          "role": {
            "type": "string",
            "enum": [
              "individual",
              "combined_audio",
              "combined_video",
              "archive"
            ]
          },
          "codecs": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "hasGaps": {
            "type": "boolean",
            "description": "Packets were lost or dropped (or the recording was interrupted)."
          },
          "droppedPackets": {
            "type": "integer",
            "format": "int64"
          }
        }
      },
      "RecordingCredentials": {
        "type": "object",
        "required": [
          "jwt"
        ],
        "properties": {
          "jwt": {
            "type": "string",
            "description": "The credentials token for `GET /channels/recording/assets/{jwt}`."
          },
          "expiresAt": {
            "type": "integer",
            "format": "int64",
            "description": "When it expires (Unix epoch milliseconds)."
          }
        }
      },
      "RecordingDownloadUrl": {
        "type": "object",
        "required": [
          "url"
        ],
        "properties": {
          "url": {
            "type": "string",
            "description": "Absolute URL `http(s)://<Host>/channels/recording/download/<token>`."
          },
          "expiresAt": {
            "type": "integer",
            "format": "int64",
            "description": "When it expires (Unix epoch milliseconds)."
          }
        }
      },
      "DownloadableAsset": {
        "type": "object",
        "required": [
          "id",
          "kind",
          "format",
          "label"
        ],
        "properties": {
          "id": {
            "type": "string"
          },
          "kind": {
            "type": "string",
            "enum": [
              "archive",
              "combined_video",
              "captions",
              "other"
            ]
          },
          "format": {
            "type": "string"
          },
          "size": {
            "type": "integer",
            "format": "int64",
            "nullable": true
          },
          "label": {
            "type": "string"
          },
          "language": {
            "type": "string",
            "nullable": true,
            "description": "Language of text assets (none are produced: always null)."
          },
          "url": {
            "type": "string",
            "description": "Downloads this asset with the same token."
          }
        }
      }
    }
  }
}
"""#
}
