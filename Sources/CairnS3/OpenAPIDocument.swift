/// The OpenAPI 3.1 description of the JSON API under /api/v1/, served at GET /api/v1/openapi.json.
/// Kept true by Tests/integration/test_openapi.py, which checks every documented operation against the server.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Cairn API",
    "version": "1",
    "summary": "Cairn's own JSON and binary API under /api/v1/: dedupe transfer, blobs by digest, model registry and lineage, and maintenance (garbage collection, scrub, fsck).",
    "description": "Served on the same port as the S3 API. Errors are JSON `{\"error\": {\"code\", \"message\"}}` with the HTTP status S3 uses for the code. Binary bodies (chunk frames, manifests, commit and listing entries; little-endian integers) are specified in native-api.md in the Cairn repository. This document is kept true by Tests/integration/test_openapi.py."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "security": [
    {
      "sigv4": []
    }
  ],
  "tags": [
    {
      "name": "meta",
      "description": "This description."
    },
    {
      "name": "dedupe",
      "description": "Chunk-level deduplicated transfer (native-api.md)."
    },
    {
      "name": "blobs",
      "description": "Content by sha256 or md5."
    },
    {
      "name": "models",
      "description": "Model registry: models."
    },
    {
      "name": "versions",
      "description": "Immutable numbered versions: files, params, metrics, metadata, lineage."
    },
    {
      "name": "aliases",
      "description": "Movable names for versions, with recorded history and protection."
    },
    {
      "name": "lineage",
      "description": "Upstream (datasets, runs, git, parents) and downstream (versions trained on a dataset)."
    },
    {
      "name": "admin",
      "description": "Maintenance: server status, garbage collection, scrub, fsck (what `cairn gc`, `cairn scrub` and `cairn fsck` call)."
    }
  ],
  "paths": {
    "/api/v1/openapi.json": {
      "get": {
        "operationId": "getOpenAPI",
        "tags": [
          "meta"
        ],
        "summary": "This document",
        "description": "Public: no signature needed (a signed request gets the same answer).",
        "responses": {
          "200": {
            "description": "The OpenAPI 3.1 description of the API under /api/v1/.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/OpenAPI"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/api/v1/dedupe": {
      "get": {
        "operationId": "getDedupeConfig",
        "tags": [
          "dedupe"
        ],
        "summary": "Chunker configuration and limits",
        "responses": {
          "200": {
            "description": "The chunking parameters and request limits.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DedupeConfig"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/dedupe/stats": {
      "get": {
        "operationId": "getDedupeStats",
        "tags": [
          "dedupe"
        ],
        "summary": "Dedupe counters",
        "responses": {
          "200": {
            "description": "Counters since server start.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DedupeStats"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/dedupe/sessions": {
      "post": {
        "operationId": "createSession",
        "tags": [
          "dedupe"
        ],
        "summary": "Start an upload session",
        "description": "A session expires `session_ttl_seconds` after its last request; every request on it extends it.",
        "responses": {
          "201": {
            "description": "The new session. It pins the chunks it uploads or finds present until deleted or expired.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Session"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/dedupe/sessions/{session}": {
      "delete": {
        "operationId": "deleteSession",
        "tags": [
          "dedupe"
        ],
        "summary": "End a session",
        "parameters": [
          {
            "$ref": "#/components/parameters/Session"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted, releasing its pins (also when it did not exist)."
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/dedupe/sessions/{session}/missing": {
      "post": {
        "operationId": "missingChunks",
        "tags": [
          "dedupe"
        ],
        "summary": "Which chunks does the store lack?",
        "description": "Chunks found present are pinned by the session.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Session"
          }
        ],
        "requestBody": {
          "required": true,
          "description": "sha256 digests (32 raw bytes each), concatenated; at most 65,536 (native-api.md).",
          "content": {
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "contentMediaType": "application/octet-stream"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The digests of the request the store lacks, concatenated (32 bytes each), in request order.",
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidRequest`, `MaxMessageLengthExceeded`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchSession`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Error: `EntityTooLarge`. A request without `x-amz-content-sha256` may carry at most 4 MiB.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/dedupe/sessions/{session}/chunks": {
      "post": {
        "operationId": "uploadChunks",
        "tags": [
          "dedupe"
        ],
        "summary": "Upload chunk frames",
        "parameters": [
          {
            "$ref": "#/components/parameters/Session"
          }
        ],
        "requestBody": {
          "required": true,
          "description": "Chunk frames `digest[32] | raw_length u32 | stored_length u32 | encoding u8 | payload` (native-api.md, \"Chunk frame\"), up to `max_batch_bytes`. May be sent as `UNSIGNED-PAYLOAD`.",
          "content": {
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "contentMediaType": "application/octet-stream"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "All frames verified and stored.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ChunkUpload"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidRequest`, `BadDigest`. Nothing of the request is stored.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchSession`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Error: `EntityTooLarge`. More than `max_batch_bytes`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        },
        "description": "Chunks the store already holds are not stored again (`stored` counts the new ones); the session pins every chunk of the request. Should garbage collection remove a chunk that was present here before the pin committed, the commit that names it answers 409 `MissingChunks` with that chunk listed: upload it again. (The S3 API answers such a race on its writes with 503 `SlowDown`, which S3 clients retry.)"
      }
    },
    "/api/v1/dedupe/sessions/{session}/commit/{bucket}": {
      "post": {
        "operationId": "commitObjects",
        "tags": [
          "dedupe"
        ],
        "summary": "Commit manifests as objects",
        "description": "Every chunk must be present; the content is read back and its sha256 and md5 checked before anything becomes visible.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Session"
          },
          {
            "$ref": "#/components/parameters/Bucket"
          }
        ],
        "requestBody": {
          "required": true,
          "description": "Commit entries `key_length u16 | key | manifest` (native-api.md, \"Commit entry\" and \"Manifest\"), 1 to 10,000, each key once.",
          "content": {
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "contentMediaType": "application/octet-stream"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "All objects are visible (all or nothing).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CommitResult"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidRequest`, `InvalidArgument`, `BadDigest`, `KeyTooLongError`, `MaxMessageLengthExceeded`. `InvalidArgument`/`KeyTooLongError`: a key breaks the S3 key rules.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchSession`, `NoSuchBucket`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "Error: `MissingChunks`. `missing` lists the chunks to upload (also chunks garbage collection removed since they were uploaded or found present). Nothing of the commit is visible.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Error: `EntityTooLarge`. A request without `x-amz-content-sha256` may carry at most 4 MiB.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/dedupe/sessions/{session}/blobs": {
      "post": {
        "operationId": "commitBlobs",
        "tags": [
          "dedupe"
        ],
        "summary": "Commit manifests as blobs only",
        "description": "Verified like a commit, but creates no object: `cairn model register` uploads a version's files this way, then names them by sha256.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Session"
          }
        ],
        "requestBody": {
          "required": true,
          "description": "Commit entries `key_length u16 | key | manifest` (native-api.md, \"Commit entry\" and \"Manifest\"), 1 to 10,000, each key once. Keys are labels only.",
          "content": {
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "contentMediaType": "application/octet-stream"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The content is stored as blobs (no object); `key` echoes each entry's key.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/BlobsResult"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidRequest`, `BadDigest`, `MaxMessageLengthExceeded`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchSession`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "Error: `MissingChunks`. `missing` lists the chunks to upload (also chunks garbage collection removed since they were uploaded or found present). Nothing of the commit is visible.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Error: `EntityTooLarge`. A request without `x-amz-content-sha256` may carry at most 4 MiB.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/dedupe/manifests/{bucket}": {
      "get": {
        "operationId": "listManifests",
        "tags": [
          "dedupe"
        ],
        "summary": "List objects with their manifests",
        "parameters": [
          {
            "$ref": "#/components/parameters/Bucket"
          },
          {
            "name": "prefix",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "start-after",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "max-keys",
            "in": "query",
            "required": false,
            "description": "At most 1,000 are returned.",
            "schema": {
              "type": "integer",
              "minimum": 0,
              "default": 1000
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Listing entries `key_length u16 | key | manifest` (native-api.md), keys in order.",
            "headers": {
              "x-cairn-truncated": {
                "$ref": "#/components/headers/XCairnTruncated"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidArgument`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchBucket`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/dedupe/chunks": {
      "post": {
        "operationId": "fetchChunks",
        "tags": [
          "dedupe"
        ],
        "summary": "Fetch chunks",
        "description": "Only reads: a `read` key may call it.",
        "requestBody": {
          "required": true,
          "description": "sha256 digests (32 raw bytes each), concatenated; at most 4,096.",
          "content": {
            "application/octet-stream": {
              "schema": {
                "type": "string",
                "contentMediaType": "application/octet-stream"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "One chunk frame per requested digest, in request order, in the form stored (raw or zstd).",
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidRequest`, `MaxMessageLengthExceeded`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "Error: `MissingChunks`. Sent before any byte when a chunk is absent; `missing` lists them.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Error: `EntityTooLarge`. A request without `x-amz-content-sha256` may carry at most 4 MiB.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/blobs/{algorithm}/{hex}": {
      "get": {
        "operationId": "getBlob",
        "tags": [
          "blobs"
        ],
        "summary": "A blob's bytes by digest",
        "parameters": [
          {
            "name": "algorithm",
            "in": "path",
            "required": true,
            "schema": {
              "enum": [
                "sha256",
                "md5"
              ]
            },
            "description": "How the blob is named (another value answers 404 `NotFound`)."
          },
          {
            "name": "hex",
            "in": "path",
            "required": true,
            "description": "64 hex digits for sha256, 32 for md5.",
            "schema": {
              "type": "string",
              "pattern": "^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$"
            }
          },
          {
            "$ref": "#/components/parameters/Range"
          }
        ],
        "responses": {
          "200": {
            "description": "The content.",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "206": {
            "description": "The requested range.",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              },
              "Content-Range": {
                "$ref": "#/components/headers/ContentRange"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidArgument`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchBlob`, `NotFound`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "416": {
            "description": "Error: `InvalidRange`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "head": {
        "operationId": "headBlob",
        "tags": [
          "blobs"
        ],
        "summary": "A blob's headers by digest",
        "parameters": [
          {
            "name": "algorithm",
            "in": "path",
            "required": true,
            "schema": {
              "enum": [
                "sha256",
                "md5"
              ]
            },
            "description": "How the blob is named (another value answers 404 `NotFound`)."
          },
          {
            "name": "hex",
            "in": "path",
            "required": true,
            "description": "64 hex digits for sha256, 32 for md5.",
            "schema": {
              "type": "string",
              "pattern": "^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$"
            }
          },
          {
            "$ref": "#/components/parameters/Range"
          }
        ],
        "responses": {
          "200": {
            "description": "The content (headers only).",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              }
            }
          },
          "206": {
            "description": "The requested range (headers only).",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              },
              "Content-Range": {
                "$ref": "#/components/headers/ContentRange"
              }
            }
          },
          "400": {
            "description": "Error: `InvalidArgument`. A HEAD answer has no body."
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read). A HEAD answer has no body."
          },
          "404": {
            "description": "Error: `NoSuchBlob`, `NotFound`. A HEAD answer has no body."
          },
          "416": {
            "description": "Error: `InvalidRange`. A HEAD answer has no body."
          }
        }
      }
    },
    "/api/v1/models": {
      "post": {
        "operationId": "createModel",
        "tags": [
          "models"
        ],
        "summary": "Create a model",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/NewModel"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new model (`latest_version` 0).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Model"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`, `InvalidRequest`, `MaxMessageLengthExceeded`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "Error: `Conflict`. The model exists.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Error: `MetadataTooLarge`, `EntityTooLarge`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "get": {
        "operationId": "listModels",
        "tags": [
          "models"
        ],
        "summary": "List models",
        "parameters": [
          {
            "name": "prefix",
            "in": "query",
            "required": false,
            "description": "Only names starting with this, e.g. `team/`.",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "tag",
            "in": "query",
            "required": false,
            "style": "form",
            "explode": true,
            "description": "`key:value`; repeat for several (all must match). 400 `InvalidArgument` without a colon.",
            "schema": {
              "type": "array",
              "items": {
                "type": "string",
                "pattern": ":"
              }
            }
          },
          {
            "name": "after",
            "in": "query",
            "required": false,
            "description": "Start after this name (the previous page's `next`).",
            "schema": {
              "type": "string"
            }
          },
          {
            "$ref": "#/components/parameters/Limit"
          }
        ],
        "responses": {
          "200": {
            "description": "A page of models in name order.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelPage"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidArgument`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}": {
      "get": {
        "operationId": "getModel",
        "tags": [
          "models"
        ],
        "summary": "A model",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          }
        ],
        "responses": {
          "200": {
            "description": "The model, with `latest_version`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Model"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/versions": {
      "post": {
        "operationId": "createVersion",
        "tags": [
          "versions"
        ],
        "summary": "Register a version",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/NewVersion"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new version; the server assigns the number.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Version"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`, `InvalidArgument`, `InvalidRequest`, `MaxMessageLengthExceeded`. E.g. a malformed digest, an unsafe or repeated path, a blob not in the store, a parent that does not exist.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchKey`. `NoSuchModel`: the model does not exist and `create_model` is not `true`. `NoSuchKey`: a file named by bucket and key that does not exist.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "Error: `Conflict`. `version` names a version that exists (versions are immutable).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Error: `MetadataTooLarge`, `EntityTooLarge`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        },
        "description": "Registers the next version of the model. With `\"create_model\": true` the model is created in the same transaction when it does not exist (one request for `cairn model register` of a new model)."
      },
      "get": {
        "operationId": "listVersions",
        "tags": [
          "versions"
        ],
        "summary": "List a model's versions",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "name": "after",
            "in": "query",
            "required": false,
            "description": "Start after this version number.",
            "schema": {
              "type": "integer",
              "minimum": 0,
              "default": 0
            }
          },
          {
            "$ref": "#/components/parameters/Limit"
          }
        ],
        "responses": {
          "200": {
            "description": "A page of versions in number order.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/VersionPage"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`, `InvalidArgument`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/versions/{version}": {
      "get": {
        "operationId": "getVersion",
        "tags": [
          "versions"
        ],
        "summary": "A version",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Version"
          }
        ],
        "responses": {
          "200": {
            "description": "The version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Version"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchVersion`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/versions/{version}/lineage": {
      "get": {
        "operationId": "getVersionLineage",
        "tags": [
          "lineage"
        ],
        "summary": "A version's upstream lineage",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Version"
          }
        ],
        "responses": {
          "200": {
            "description": "Datasets resolved to blobs and their locations, runs, git, and parents recursively.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Upstream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchVersion`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/versions/{version}/files/{path}": {
      "get": {
        "operationId": "getVersionFile",
        "tags": [
          "versions"
        ],
        "summary": "A version's file",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Version"
          },
          {
            "$ref": "#/components/parameters/FilePath"
          },
          {
            "$ref": "#/components/parameters/Range"
          }
        ],
        "responses": {
          "200": {
            "description": "The content.",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "206": {
            "description": "The requested range.",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              },
              "Content-Range": {
                "$ref": "#/components/headers/ContentRange"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchVersion`, `NoSuchFile`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "416": {
            "description": "Error: `InvalidRange`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "head": {
        "operationId": "headVersionFile",
        "tags": [
          "versions"
        ],
        "summary": "A version's file (headers)",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Version"
          },
          {
            "$ref": "#/components/parameters/FilePath"
          },
          {
            "$ref": "#/components/parameters/Range"
          }
        ],
        "responses": {
          "200": {
            "description": "The content (headers only).",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              }
            }
          },
          "206": {
            "description": "The requested range (headers only).",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              },
              "Content-Range": {
                "$ref": "#/components/headers/ContentRange"
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`. A HEAD answer has no body."
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read). A HEAD answer has no body."
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchVersion`, `NoSuchFile`. A HEAD answer has no body."
          },
          "416": {
            "description": "Error: `InvalidRange`. A HEAD answer has no body."
          }
        }
      }
    },
    "/api/v1/models/{model}/versions/{version}/manifests": {
      "get": {
        "operationId": "getVersionManifests",
        "tags": [
          "versions"
        ],
        "summary": "A version's files as manifests",
        "description": "For `cairn model pull`: fetch the chunks the client lacks with `POST /api/v1/dedupe/chunks`.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Version"
          }
        ],
        "responses": {
          "200": {
            "description": "The version's files as listing entries (`key_length u16 | key | manifest`, see native-api.md), key = file path, in path order.",
            "headers": {
              "x-cairn-version": {
                "$ref": "#/components/headers/XCairnVersion"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchVersion`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/aliases": {
      "get": {
        "operationId": "listAliases",
        "tags": [
          "aliases"
        ],
        "summary": "A model's aliases",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          }
        ],
        "responses": {
          "200": {
            "description": "The aliases in name order.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AliasList"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/aliases/{alias}": {
      "get": {
        "operationId": "getAlias",
        "tags": [
          "aliases"
        ],
        "summary": "An alias",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          }
        ],
        "responses": {
          "200": {
            "description": "The alias.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Alias"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchAlias`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "put": {
        "operationId": "setAlias",
        "tags": [
          "aliases"
        ],
        "summary": "Create or move an alias",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/AliasUpdate"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The alias; the move is recorded in its history.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Alias"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`, `InvalidAliasName`, `InvalidRequest`, `MaxMessageLengthExceeded`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`, `AliasProtected`. `AliasProtected`: a protected alias would move to another version without `force`. `AccessDenied`: anonymous, a `read` key, or `force`/`protected` from a key that is not `admin`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchVersion`. `NoSuchVersion`: `version` does not exist.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Error: `EntityTooLarge`. A request without `x-amz-content-sha256` may carry at most 4 MiB.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        },
        "description": "Creates the alias or moves it to `version`. A protected alias moves to another version only with `force`; setting or clearing `protected` needs an admin key but not `force`."
      },
      "delete": {
        "operationId": "deleteAlias",
        "tags": [
          "aliases"
        ],
        "summary": "Delete an alias",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          },
          {
            "name": "force",
            "in": "query",
            "required": false,
            "description": "`true` deletes a protected alias (admin key only).",
            "schema": {
              "enum": [
                "true",
                "false"
              ]
            }
          },
          {
            "name": "reason",
            "in": "query",
            "required": false,
            "description": "Recorded in the history.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted; the deletion is recorded in its history."
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`, `AliasProtected`. `AliasProtected`: the alias is protected and `force` is not `true`. `AccessDenied`: anonymous, a `read` key, or `force=true` from a key that is not `admin`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchAlias`. `NoSuchAlias`: the alias does not exist (now).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/aliases/{alias}/history": {
      "get": {
        "operationId": "getAliasHistory",
        "tags": [
          "aliases"
        ],
        "summary": "An alias's recorded moves",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          },
          {
            "name": "at",
            "in": "query",
            "required": false,
            "description": "ISO 8601 time, e.g. `2026-03-03T12:00:00Z` (fractional seconds allowed): also answer `version_at`, the version the alias named then (null if none).",
            "schema": {
              "type": "string",
              "format": "date-time"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Every move, oldest first; `version_at` only when `at` was given.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AliasHistory"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`, `InvalidArgument`. `at` is not an ISO 8601 time.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchAlias`. `NoSuchAlias`: the alias never existed (a deleted alias keeps its history).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/aliases/{alias}/version": {
      "get": {
        "operationId": "getAliasVersion",
        "tags": [
          "aliases"
        ],
        "summary": "The version an alias names",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          }
        ],
        "responses": {
          "200": {
            "description": "The version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Version"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchAlias`, `NoSuchVersion`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/aliases/{alias}/lineage": {
      "get": {
        "operationId": "getAliasLineage",
        "tags": [
          "lineage"
        ],
        "summary": "Upstream lineage of the version an alias names",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          }
        ],
        "responses": {
          "200": {
            "description": "As for a version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Upstream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchAlias`, `NoSuchVersion`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/models/{model}/aliases/{alias}/files/{path}": {
      "get": {
        "operationId": "getAliasFile",
        "tags": [
          "aliases"
        ],
        "summary": "A file of the version an alias names",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          },
          {
            "$ref": "#/components/parameters/FilePath"
          },
          {
            "$ref": "#/components/parameters/Range"
          }
        ],
        "responses": {
          "200": {
            "description": "The content.",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "206": {
            "description": "The requested range.",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              },
              "Content-Range": {
                "$ref": "#/components/headers/ContentRange"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchAlias`, `NoSuchVersion`, `NoSuchFile`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "416": {
            "description": "Error: `InvalidRange`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "head": {
        "operationId": "headAliasFile",
        "tags": [
          "aliases"
        ],
        "summary": "A file of the version an alias names (headers)",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          },
          {
            "$ref": "#/components/parameters/FilePath"
          },
          {
            "$ref": "#/components/parameters/Range"
          }
        ],
        "responses": {
          "200": {
            "description": "The content (headers only).",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              }
            }
          },
          "206": {
            "description": "The requested range (headers only).",
            "headers": {
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Accept-Ranges": {
                "$ref": "#/components/headers/AcceptRanges"
              },
              "x-cairn-sha256": {
                "$ref": "#/components/headers/XCairnSHA256"
              },
              "x-cairn-md5": {
                "$ref": "#/components/headers/XCairnMD5"
              },
              "Content-Range": {
                "$ref": "#/components/headers/ContentRange"
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`. A HEAD answer has no body."
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read). A HEAD answer has no body."
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchAlias`, `NoSuchVersion`, `NoSuchFile`. A HEAD answer has no body."
          },
          "416": {
            "description": "Error: `InvalidRange`. A HEAD answer has no body."
          }
        }
      }
    },
    "/api/v1/models/{model}/aliases/{alias}/manifests": {
      "get": {
        "operationId": "getAliasManifests",
        "tags": [
          "aliases"
        ],
        "summary": "Files of the version an alias names, as manifests",
        "description": "The alias is resolved once, so the answer is one whole version even while the alias moves; `x-cairn-version` says which.",
        "parameters": [
          {
            "$ref": "#/components/parameters/Model"
          },
          {
            "$ref": "#/components/parameters/Alias"
          }
        ],
        "responses": {
          "200": {
            "description": "The version's files as listing entries (`key_length u16 | key | manifest`, see native-api.md), key = file path, in path order.",
            "headers": {
              "x-cairn-version": {
                "$ref": "#/components/headers/XCairnVersion"
              }
            },
            "content": {
              "application/octet-stream": {
                "schema": {
                  "type": "string",
                  "contentMediaType": "application/octet-stream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidModelName`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "404": {
            "description": "Error: `NoSuchModel`, `NoSuchAlias`, `NoSuchVersion`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/lineage/datasets/{digest}": {
      "get": {
        "operationId": "getDatasetDownstream",
        "tags": [
          "lineage"
        ],
        "summary": "Versions trained on a dataset",
        "parameters": [
          {
            "name": "digest",
            "in": "path",
            "required": true,
            "description": "`md5:<32 hex>` or `sha256:<64 hex>`; the colon may be sent as `%3A`.",
            "schema": {
              "type": "string",
              "pattern": "^(md5:[0-9a-fA-F]{32}|sha256:[0-9a-fA-F]{64})$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Versions listing the dataset by either digest (`via` = `direct`), then versions derived from them.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Downstream"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidArgument`. Not `md5:<32 hex>` or `sha256:<64 hex>`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key whose role does not allow it (a `read` key may only read).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        },
        "description": "A dataset named by md5 and the same dataset named by sha256 are one: when the store holds the blob, versions that named it by its other digest are found too (`md5:` finds versions that listed its sha256, and the other way round)."
      }
    },
    "/api/v1/admin/status": {
      "get": {
        "operationId": "getStatus",
        "tags": [
          "admin"
        ],
        "summary": "Server status",
        "description": "Any key (a `read` key too): index counts, the running maintenance job, the last collection and scrub, dedupe counters.",
        "responses": {
          "200": {
            "description": "The status.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/admin/gc": {
      "post": {
        "operationId": "collectGarbage",
        "tags": [
          "admin"
        ],
        "summary": "Collect garbage",
        "description": "Admin key. Deletes chunks, blobs and packs nothing references any more, and compacts packs that are mostly garbage. Roots: objects, model versions' files (and, unless `pin-lineage=false`, the datasets their lineage names), open multipart uploads, live dedupe sessions, and everything in packs written within the grace period. Safe while clients read and write: a write that deduplicated against a chunk collected meanwhile fails with a retryable error (503 `SlowDown`: S3 writes and native chunk uploads; a native commit naming a chunk the store no longer has: 409 `MissingChunks`). The answer comes when the run has finished. The server also collects on a schedule (`cairn serve --gc-interval`).",
        "parameters": [
          {
            "name": "dry-run",
            "in": "query",
            "required": false,
            "description": "`true`: plan and report only; nothing is deleted and the report does not become the status's `last_gc`.",
            "schema": {
              "enum": [
                "true",
                "false"
              ]
            }
          },
          {
            "name": "grace",
            "in": "query",
            "required": false,
            "description": "Grace period of this run: a duration such as `0s`, `90s`, `15m`, `24h`, `7d`, or plain seconds. Packs written more recently are left alone. Default: the server's `--gc-grace` (24h).",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+(\\.[0-9]+)?[smhd]?$",
              "examples": [
                "0s",
                "90s",
                "15m",
                "24h",
                "7d",
                "3600"
              ]
            }
          },
          {
            "name": "upload-max-age",
            "in": "query",
            "required": false,
            "description": "Abort multipart uploads started longer ago than this (a duration as for `grace`). Default: the server's `--upload-max-age` (7d).",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+(\\.[0-9]+)?[smhd]?$",
              "examples": [
                "0s",
                "90s",
                "15m",
                "24h",
                "7d",
                "3600"
              ]
            }
          },
          {
            "name": "pin-lineage",
            "in": "query",
            "required": false,
            "description": "`false`: do not keep dataset blobs that only model lineage names. Default `true`.",
            "schema": {
              "enum": [
                "true",
                "false"
              ]
            }
          },
          {
            "name": "compact-below",
            "in": "query",
            "required": false,
            "description": "Compact a pack when less than this share of its bytes is live (0 to 1). Default 0.5.",
            "schema": {
              "type": "number",
              "minimum": 0,
              "maximum": 1,
              "default": 0.5
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The run's report.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GCReport"
                }
              }
            }
          },
          "400": {
            "description": "Error: `InvalidArgument`. `grace` or `upload-max-age` is not a duration, or `compact-below` is not a number between 0 and 1.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key that is not `admin` (a `read` or a `write` key).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "Error: `MaintenanceRunning`. Another garbage collection, scrub or fsck is running: one runs at a time (the status's `running` names it). Retry when it has finished.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/admin/scrub": {
      "post": {
        "operationId": "scrub",
        "tags": [
          "admin"
        ],
        "summary": "Verify every chunk",
        "description": "Admin key. Re-reads every chunk in the index and verifies its sha256. A corrupt chunk is quarantined: reads of content that includes it fail with a clear error instead of serving it, and uploading the same bytes again stores a good copy. The report names the objects and model versions affected.",
        "responses": {
          "200": {
            "description": "The scrub's report (also the status's `last_scrub`).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ScrubReport"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key that is not `admin` (a `read` or a `write` key).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "Error: `MaintenanceRunning`. Another garbage collection, scrub or fsck is running: one runs at a time (the status's `running` names it). Retry when it has finished.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/admin/fsck": {
      "post": {
        "operationId": "fsck",
        "tags": [
          "admin"
        ],
        "summary": "Check the index",
        "description": "Admin key. Checks the index against the packs and itself: chunk entries against pack records, blobs' and parts' chunks, objects' and version files' blobs, the md5 and blob→object indexes.",
        "parameters": [
          {
            "name": "rebuild-chunk-index",
            "in": "query",
            "required": false,
            "description": "`true`: first add an index entry for every verified pack record whose chunk the index lacks (recovers a lost or damaged chunk index; `rebuilt_chunks` counts them).",
            "schema": {
              "enum": [
                "true",
                "false"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The report; `consistent` says whether problems were found.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/FsckReport"
                }
              }
            }
          },
          "403": {
            "description": "Error: `AccessDenied`, `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`. `AccessDenied` for an anonymous request or a key that is not `admin` (a `read` or a `write` key).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "Error: `MaintenanceRunning`. Another garbage collection, scrub or fsck is running: one runs at a time (the status's `running` names it). Retry when it has finished.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
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
      "sigv4": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "AWS Signature Version 4, exactly as for the S3 API on the same port: service `s3`, the server's region (default `us-east-1`), in the `Authorization` header or as a presigned query (`X-Amz-Signature`). Bodies are signed (`x-amz-content-sha256` = hex sha256 of the body, verified) or sent as `UNSIGNED-PAYLOAD`; without `x-amz-content-sha256` the signature must cover the body's sha256 (bodies up to 4 MiB). For example `curl --aws-sigv4 aws:amz:us-east-1:s3 --user KEY:SECRET URL`. Key roles: `read` (GET, HEAD and `POST /api/v1/dedupe/chunks`), `write` (also uploads, registers versions, moves unprotected aliases), `admin` (also forces protected aliases, changes protection, and runs garbage collection, scrub and fsck)."
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "description": "Every error of the API under /api/v1/ (except on HEAD requests, which have no body). The HTTP status is the one S3 uses for the same code.",
        "required": [
          "error"
        ],
        "additionalProperties": false,
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message"
            ],
            "additionalProperties": false,
            "properties": {
              "code": {
                "type": "string",
                "description": "Machine-readable code: InvalidArgument, InvalidRequest, InvalidURI, MaxMessageLengthExceeded, InvalidModelName, InvalidAliasName, NoSuchModel, NoSuchVersion, NoSuchAlias, NoSuchFile, NoSuchKey, NoSuchBlob, NoSuchBucket, NoSuchSession, NotFound, Conflict, AliasProtected, AccessDenied (and the other SigV4 errors: SignatureDoesNotMatch, InvalidAccessKeyId, RequestTimeTooSkewed, ...), MetadataTooLarge, EntityTooLarge, MissingChunks, BadDigest, InvalidRange, MaintenanceRunning, InternalError.",
                "examples": [
                  "NoSuchModel"
                ]
              },
              "message": {
                "type": "string"
              },
              "missing": {
                "type": "array",
                "description": "Only with `MissingChunks`: hex sha256 digests of chunks the store lacks (at most 1,000 listed).",
                "maxItems": 1000,
                "items": {
                  "type": "string",
                  "pattern": "^[0-9a-f]{64}$"
                }
              }
            }
          }
        }
      },
      "ModelName": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "pattern": "^[a-z0-9_-][a-z0-9._-]*(/[a-z0-9_-][a-z0-9._-]*)*$",
        "description": "Lowercase letters, digits, `-`, `_`, `.` and `/` between namespace segments; 1-200 bytes; no segment starts with `.` or is `versions`, `aliases`, `files` or `lineage`.",
        "examples": [
          "team/flag-combo"
        ]
      },
      "NewModel": {
        "type": "object",
        "required": [
          "name"
        ],
        "properties": {
          "name": {
            "$ref": "#/components/schemas/ModelName"
          },
          "description": {
            "type": "string"
          },
          "tags": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "Free-form string labels, e.g. `{\"task\": \"cls\"}`."
          }
        }
      },
      "Model": {
        "type": "object",
        "required": [
          "name",
          "description",
          "tags",
          "created_at",
          "created_by",
          "latest_version"
        ],
        "additionalProperties": false,
        "properties": {
          "name": {
            "$ref": "#/components/schemas/ModelName"
          },
          "description": {
            "type": "string",
            "description": "Empty when none was given."
          },
          "tags": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "created_at": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "created_by": {
            "type": "string",
            "description": "Access key ID of the creator."
          },
          "latest_version": {
            "type": "integer",
            "minimum": 0,
            "description": "Highest version number assigned so far; 0 before the first version."
          }
        }
      },
      "ModelPage": {
        "type": "object",
        "required": [
          "models"
        ],
        "additionalProperties": false,
        "properties": {
          "models": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Model"
            },
            "description": "In name order."
          },
          "next": {
            "type": "string",
            "description": "Present only when more models follow: pass it as `after` to get the next page. Absent (not null) on the last page."
          }
        }
      },
      "VersionFile": {
        "type": "object",
        "required": [
          "path",
          "sha256",
          "md5",
          "size"
        ],
        "additionalProperties": false,
        "properties": {
          "path": {
            "type": "string",
            "description": "Relative path in the version's tree, `/`-separated, e.g. `cfg/config.json`."
          },
          "sha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
          },
          "md5": {
            "type": "string",
            "pattern": "^[0-9a-f]{32}$"
          },
          "size": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "NewVersionFile": {
        "type": "object",
        "description": "A file named by the sha256 of a blob in the store, or by an existing object (its current content is used).",
        "required": [
          "path"
        ],
        "properties": {
          "path": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1024,
            "description": "Safe relative path: no empty, `.` or `..` segment; unique in the version."
          },
          "sha256": {
            "type": "string",
            "pattern": "^[0-9a-fA-F]{64}$"
          },
          "bucket": {
            "type": "string"
          },
          "key": {
            "type": "string"
          }
        },
        "anyOf": [
          {
            "required": [
              "sha256"
            ]
          },
          {
            "required": [
              "bucket",
              "key"
            ]
          }
        ]
      },
      "Dataset": {
        "type": "object",
        "description": "A dataset a version was trained or evaluated on, by md5 and/or sha256 (a DVC `deps` entry has an md5).",
        "additionalProperties": false,
        "properties": {
          "md5": {
            "type": "string",
            "pattern": "^[0-9a-fA-F]{32}$"
          },
          "sha256": {
            "type": "string",
            "pattern": "^[0-9a-fA-F]{64}$"
          },
          "path": {
            "type": "string"
          },
          "uri": {
            "type": "string"
          },
          "dvc_stage": {
            "type": "string",
            "description": "The dvc.lock stage the entry came from."
          }
        },
        "anyOf": [
          {
            "required": [
              "md5"
            ]
          },
          {
            "required": [
              "sha256"
            ]
          }
        ]
      },
      "Run": {
        "type": "object",
        "required": [
          "id"
        ],
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "string"
          },
          "link": {
            "type": "string"
          }
        }
      },
      "Git": {
        "type": "object",
        "required": [
          "commit"
        ],
        "additionalProperties": false,
        "properties": {
          "commit": {
            "type": "string"
          },
          "repository": {
            "type": "string"
          }
        }
      },
      "Parent": {
        "type": "object",
        "description": "A version this one was derived from (fine-tuned from, distilled from ...).",
        "required": [
          "model",
          "version"
        ],
        "additionalProperties": false,
        "properties": {
          "model": {
            "$ref": "#/components/schemas/ModelName"
          },
          "version": {
            "type": "integer",
            "minimum": 1
          }
        }
      },
      "Lineage": {
        "type": "object",
        "description": "A version's lineage as stored. In a request every field is optional (see LineageInput).",
        "required": [
          "datasets",
          "runs",
          "parents"
        ],
        "additionalProperties": false,
        "properties": {
          "datasets": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Dataset"
            }
          },
          "runs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Run"
            }
          },
          "git": {
            "$ref": "#/components/schemas/Git"
          },
          "parents": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Parent"
            }
          }
        }
      },
      "LineageInput": {
        "type": "object",
        "description": "Lineage in a request: name only what is known. Parents must exist.",
        "properties": {
          "datasets": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Dataset"
            }
          },
          "runs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Run"
            }
          },
          "git": {
            "$ref": "#/components/schemas/Git"
          },
          "parents": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Parent"
            }
          }
        }
      },
      "NewVersion": {
        "type": "object",
        "required": [
          "files"
        ],
        "properties": {
          "version": {
            "type": "integer",
            "minimum": 1,
            "description": "Optional: the number the caller expects to create. 409 `Conflict` if it exists, 400 `InvalidRequest` if it is not the next one. Without it the server assigns the next number."
          },
          "files": {
            "type": "array",
            "minItems": 1,
            "items": {
              "$ref": "#/components/schemas/NewVersionFile"
            }
          },
          "params": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "metrics": {
            "type": "object",
            "additionalProperties": {
              "type": "number"
            }
          },
          "metadata": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "lineage": {
            "$ref": "#/components/schemas/LineageInput"
          },
          "create_model": {
            "type": "boolean",
            "default": false,
            "description": "`true`: create the model (empty description, no tags) in the same transaction when it does not exist yet. Without it a version of a model that does not exist answers 404 `NoSuchModel`."
          }
        },
        "description": "Description, tags, params, metrics, metadata and lineage may total at most 256 KiB of JSON (413 `MetadataTooLarge`)."
      },
      "Version": {
        "type": "object",
        "description": "An immutable model version.",
        "required": [
          "model",
          "version",
          "files",
          "params",
          "metrics",
          "metadata",
          "lineage",
          "created_at",
          "created_by"
        ],
        "additionalProperties": false,
        "properties": {
          "model": {
            "$ref": "#/components/schemas/ModelName"
          },
          "version": {
            "type": "integer",
            "minimum": 1
          },
          "files": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/VersionFile"
            },
            "description": "In path order."
          },
          "params": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "metrics": {
            "type": "object",
            "additionalProperties": {
              "type": "number"
            }
          },
          "metadata": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "lineage": {
            "$ref": "#/components/schemas/Lineage"
          },
          "created_at": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "created_by": {
            "type": "string"
          }
        }
      },
      "VersionPage": {
        "type": "object",
        "required": [
          "versions"
        ],
        "additionalProperties": false,
        "properties": {
          "versions": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Version"
            },
            "description": "In number order."
          },
          "next": {
            "type": "integer",
            "minimum": 1,
            "description": "Present only when more versions follow: pass it as `after`. Absent (not null) on the last page."
          }
        }
      },
      "AliasUpdate": {
        "type": "object",
        "required": [
          "version"
        ],
        "properties": {
          "version": {
            "type": "integer",
            "minimum": 1
          },
          "reason": {
            "type": "string",
            "description": "Recorded in the alias history (for a protection change without a reason: `protected` or `unprotected`)."
          },
          "protected": {
            "type": "boolean",
            "description": "Set or clear protection (admin key only; no `force` needed). Absent keeps the current protection. A protection change on an unchanged version is recorded in the history as a move with `from` = `to`."
          },
          "force": {
            "type": "boolean",
            "description": "Move a protected alias to another version (admin key only)."
          }
        }
      },
      "Alias": {
        "type": "object",
        "required": [
          "model",
          "alias",
          "version",
          "protected",
          "updated_at",
          "updated_by"
        ],
        "additionalProperties": false,
        "properties": {
          "model": {
            "$ref": "#/components/schemas/ModelName"
          },
          "alias": {
            "type": "string"
          },
          "version": {
            "type": "integer",
            "minimum": 1
          },
          "protected": {
            "type": "boolean"
          },
          "updated_at": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "updated_by": {
            "type": "string"
          }
        }
      },
      "AliasList": {
        "type": "object",
        "required": [
          "aliases"
        ],
        "additionalProperties": false,
        "properties": {
          "aliases": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Alias"
            },
            "description": "In name order."
          }
        }
      },
      "AliasMove": {
        "type": "object",
        "description": "One recorded change: set (no `from`), moved, deleted (no `to`), or protection changed on an unchanged version (`from` = `to`, `reason` `protected` or `unprotected` unless the request gave one). A PUT that changes neither version nor protection records nothing.",
        "required": [
          "at",
          "by"
        ],
        "additionalProperties": false,
        "properties": {
          "at": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "by": {
            "type": "string"
          },
          "from": {
            "type": "integer",
            "minimum": 1
          },
          "to": {
            "type": "integer",
            "minimum": 1
          },
          "reason": {
            "type": "string"
          }
        }
      },
      "AliasHistory": {
        "type": "object",
        "required": [
          "model",
          "alias",
          "moves"
        ],
        "additionalProperties": false,
        "properties": {
          "model": {
            "$ref": "#/components/schemas/ModelName"
          },
          "alias": {
            "type": "string"
          },
          "moves": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AliasMove"
            },
            "description": "Oldest first."
          },
          "version_at": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "description": "Present only when the request gave `at`: the version the alias named then, null if none."
          }
        }
      },
      "Blob": {
        "type": "object",
        "required": [
          "sha256",
          "md5",
          "size"
        ],
        "additionalProperties": false,
        "properties": {
          "sha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
          },
          "md5": {
            "type": "string",
            "pattern": "^[0-9a-f]{32}$"
          },
          "size": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "Location": {
        "type": "object",
        "description": "An object whose content is the blob.",
        "required": [
          "bucket",
          "key"
        ],
        "additionalProperties": false,
        "properties": {
          "bucket": {
            "type": "string"
          },
          "key": {
            "type": "string"
          }
        }
      },
      "ResolvedDataset": {
        "type": "object",
        "required": [
          "dataset",
          "present"
        ],
        "additionalProperties": false,
        "properties": {
          "dataset": {
            "$ref": "#/components/schemas/Dataset"
          },
          "present": {
            "type": "boolean",
            "description": "True when the store holds a blob with this sha256 or md5 (e.g. `dvc push` put it here)."
          },
          "blob": {
            "$ref": "#/components/schemas/Blob",
            "description": "Present only when `present` is true."
          },
          "locations": {
            "type": "array",
            "maxItems": 100,
            "items": {
              "$ref": "#/components/schemas/Location"
            },
            "description": "Up to 100 objects holding the dataset's bytes, e.g. the keys `dvc push` wrote."
          }
        }
      },
      "Upstream": {
        "type": "object",
        "description": "A version's upstream: datasets resolved to blobs, runs, git commit, and its parents' upstream, recursively.",
        "required": [
          "model",
          "version",
          "datasets",
          "runs",
          "parents"
        ],
        "additionalProperties": false,
        "properties": {
          "model": {
            "$ref": "#/components/schemas/ModelName"
          },
          "version": {
            "type": "integer",
            "minimum": 1
          },
          "datasets": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ResolvedDataset"
            }
          },
          "runs": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Run"
            }
          },
          "git": {
            "$ref": "#/components/schemas/Git"
          },
          "parents": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Upstream"
            }
          }
        }
      },
      "Downstream": {
        "type": "object",
        "required": [
          "dataset",
          "versions"
        ],
        "additionalProperties": false,
        "properties": {
          "dataset": {
            "type": "string",
            "pattern": "^(md5:[0-9a-f]{32}|sha256:[0-9a-f]{64})$",
            "description": "The dataset digest, lowercased."
          },
          "versions": {
            "type": "array",
            "description": "Versions listing the dataset, then versions derived from them (breadth first), each once.",
            "items": {
              "type": "object",
              "required": [
                "model",
                "version",
                "via"
              ],
              "additionalProperties": false,
              "properties": {
                "model": {
                  "$ref": "#/components/schemas/ModelName"
                },
                "version": {
                  "type": "integer",
                  "minimum": 1
                },
                "via": {
                  "type": "string",
                  "description": "`direct`, or the parent it was derived from as `model@n`."
                }
              }
            }
          }
        }
      },
      "DedupeConfig": {
        "type": "object",
        "required": [
          "version",
          "chunker",
          "max_batch_bytes",
          "max_digests_per_query",
          "max_digests_per_fetch",
          "session_ttl_seconds"
        ],
        "additionalProperties": false,
        "properties": {
          "version": {
            "const": 1
          },
          "chunker": {
            "type": "object",
            "description": "FastCDC parameters clients must chunk with.",
            "required": [
              "min_size",
              "avg_size",
              "max_size",
              "normalization"
            ],
            "additionalProperties": false,
            "properties": {
              "min_size": {
                "type": "integer",
                "minimum": 0
              },
              "avg_size": {
                "type": "integer",
                "minimum": 0
              },
              "max_size": {
                "type": "integer",
                "minimum": 0
              },
              "normalization": {
                "type": "integer",
                "minimum": 0
              }
            }
          },
          "max_batch_bytes": {
            "type": "integer",
            "minimum": 0
          },
          "max_digests_per_query": {
            "type": "integer",
            "minimum": 0
          },
          "max_digests_per_fetch": {
            "type": "integer",
            "minimum": 0
          },
          "session_ttl_seconds": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "DedupeStats": {
        "type": "object",
        "description": "Counters since server start, and `index_chunks`, the number of distinct chunks in the store now.",
        "required": [
          "chunks_received",
          "chunks_stored",
          "wire_bytes_received",
          "chunk_bytes_stored",
          "chunks_served",
          "wire_bytes_served",
          "commits",
          "missing_queries",
          "index_chunks"
        ],
        "additionalProperties": false,
        "properties": {
          "chunks_received": {
            "type": "integer",
            "minimum": 0
          },
          "chunks_stored": {
            "type": "integer",
            "minimum": 0
          },
          "wire_bytes_received": {
            "type": "integer",
            "minimum": 0
          },
          "chunk_bytes_stored": {
            "type": "integer",
            "minimum": 0
          },
          "chunks_served": {
            "type": "integer",
            "minimum": 0
          },
          "wire_bytes_served": {
            "type": "integer",
            "minimum": 0
          },
          "commits": {
            "type": "integer",
            "minimum": 0
          },
          "missing_queries": {
            "type": "integer",
            "minimum": 0
          },
          "index_chunks": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "Session": {
        "type": "object",
        "required": [
          "session",
          "expires_at"
        ],
        "additionalProperties": false,
        "properties": {
          "session": {
            "type": "string",
            "pattern": "^[0-9a-f]{32}$"
          },
          "expires_at": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "ChunkUpload": {
        "type": "object",
        "required": [
          "received",
          "stored",
          "bytes"
        ],
        "additionalProperties": false,
        "properties": {
          "received": {
            "type": "integer",
            "minimum": 0,
            "description": "Frames in the request."
          },
          "stored": {
            "type": "integer",
            "minimum": 0,
            "description": "Chunks the index gained (the others were present)."
          },
          "bytes": {
            "type": "integer",
            "minimum": 0,
            "description": "Bytes on the wire."
          }
        }
      },
      "CommitResult": {
        "type": "object",
        "required": [
          "objects"
        ],
        "additionalProperties": false,
        "properties": {
          "objects": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "key",
                "etag",
                "size",
                "sha256"
              ],
              "additionalProperties": false,
              "properties": {
                "key": {
                  "type": "string"
                },
                "etag": {
                  "type": "string",
                  "pattern": "^[0-9a-f]{32}$",
                  "description": "The md5 hex, without quotes."
                },
                "size": {
                  "type": "integer",
                  "minimum": 0
                },
                "sha256": {
                  "type": "string",
                  "pattern": "^[0-9a-f]{64}$"
                }
              }
            }
          }
        }
      },
      "BlobsResult": {
        "type": "object",
        "required": [
          "blobs"
        ],
        "additionalProperties": false,
        "properties": {
          "blobs": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "key",
                "sha256",
                "md5",
                "size"
              ],
              "additionalProperties": false,
              "properties": {
                "key": {
                  "type": "string",
                  "description": "The entry's key, echoed (a label only)."
                },
                "sha256": {
                  "type": "string",
                  "pattern": "^[0-9a-f]{64}$"
                },
                "md5": {
                  "type": "string",
                  "pattern": "^[0-9a-f]{32}$"
                },
                "size": {
                  "type": "integer",
                  "minimum": 0
                }
              }
            }
          }
        }
      },
      "OpenAPI": {
        "type": "object",
        "required": [
          "openapi",
          "info",
          "paths"
        ],
        "description": "This document."
      },
      "Timestamp": {
        "type": "string",
        "format": "date-time",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
        "description": "ISO 8601 time in UTC with milliseconds. Registry times are stored to the millisecond, so a time read from an answer (e.g. a move's `at`) can be sent back as `at` and finds that move.",
        "examples": [
          "2026-11-27T03:20:58.123Z"
        ]
      },
      "GCReport": {
        "type": "object",
        "description": "What one garbage collection found and did (`cairn gc --json`).",
        "required": [
          "dry_run",
          "started_at",
          "seconds",
          "plan_seconds",
          "grace_seconds",
          "total_chunks",
          "total_blobs",
          "marked_chunks",
          "marked_blobs",
          "grace_chunks",
          "candidate_chunks",
          "candidate_chunk_bytes",
          "candidate_blobs",
          "revived",
          "freed_chunks",
          "freed_blobs",
          "expired_sessions",
          "aborted_uploads",
          "packs",
          "packs_to_delete",
          "packs_to_compact",
          "packs_deleted",
          "packs_compacted",
          "chunks_moved",
          "corrupt_chunks",
          "pack_bytes_before",
          "pack_bytes_after",
          "bytes_freed"
        ],
        "additionalProperties": false,
        "properties": {
          "dry_run": {
            "type": "boolean",
            "description": "True for a dry run: planned only, nothing deleted (`freed_chunks`, `freed_blobs`, `expired_sessions`, `aborted_uploads`, `packs_deleted`, `packs_compacted`, `chunks_moved`, `corrupt_chunks`, `pack_bytes_after` and `bytes_freed` are 0)."
          },
          "started_at": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "seconds": {
            "type": "number",
            "minimum": 0,
            "description": "Duration of the whole run."
          },
          "plan_seconds": {
            "type": "number",
            "minimum": 0,
            "description": "Duration of the marking (plan) phase."
          },
          "grace_seconds": {
            "type": "number",
            "minimum": 0,
            "description": "The grace period used: packs written more recently were left alone, with every chunk and blob in them."
          },
          "total_chunks": {
            "type": "integer",
            "minimum": 0,
            "description": "Chunks in the index when planning."
          },
          "total_blobs": {
            "type": "integer",
            "minimum": 0,
            "description": "Blobs in the index when planning."
          },
          "marked_chunks": {
            "type": "integer",
            "minimum": 0,
            "description": "Distinct chunk digests the roots (objects, model versions, open uploads, live sessions) reference, counted whether or not the store holds them."
          },
          "marked_blobs": {
            "type": "integer",
            "minimum": 0,
            "description": "Distinct blob digests the roots reference, counted whether or not the store holds them (a lineage dataset stored elsewhere, a session's pinned chunk): may exceed `total_blobs`."
          },
          "grace_chunks": {
            "type": "integer",
            "minimum": 0,
            "description": "Unreferenced chunks spared because their pack is within the grace period."
          },
          "candidate_chunks": {
            "type": "integer",
            "minimum": 0,
            "description": "Unreferenced chunks to delete."
          },
          "candidate_chunk_bytes": {
            "type": "integer",
            "minimum": 0,
            "description": "Pack bytes of the candidate chunks (record headers included)."
          },
          "candidate_blobs": {
            "type": "integer",
            "minimum": 0,
            "description": "Unreferenced blobs to delete."
          },
          "revived": {
            "type": "integer",
            "minimum": 0,
            "description": "Candidates referenced again after planning (a dedupe hit, a new object or version) and kept."
          },
          "freed_chunks": {
            "type": "integer",
            "minimum": 0
          },
          "freed_blobs": {
            "type": "integer",
            "minimum": 0
          },
          "expired_sessions": {
            "type": "integer",
            "minimum": 0,
            "description": "Dedupe sessions past their TTL, deleted with their pins."
          },
          "aborted_uploads": {
            "type": "integer",
            "minimum": 0,
            "description": "Multipart uploads older than `upload-max-age`, aborted."
          },
          "packs": {
            "type": "integer",
            "minimum": 0,
            "description": "Pack files when planning."
          },
          "packs_to_delete": {
            "type": "integer",
            "minimum": 0,
            "description": "Planned: packs nothing live is in."
          },
          "packs_to_compact": {
            "type": "integer",
            "minimum": 0,
            "description": "Planned: packs whose live share is below `compact-below`."
          },
          "packs_deleted": {
            "type": "integer",
            "minimum": 0
          },
          "packs_compacted": {
            "type": "integer",
            "minimum": 0
          },
          "chunks_moved": {
            "type": "integer",
            "minimum": 0,
            "description": "Live chunks copied out of compacted packs."
          },
          "corrupt_chunks": {
            "type": "integer",
            "minimum": 0,
            "description": "Records compaction found corrupt and left in place (scrub reports and quarantines them)."
          },
          "pack_bytes_before": {
            "type": "integer",
            "minimum": 0
          },
          "pack_bytes_after": {
            "type": "integer",
            "minimum": 0,
            "description": "0 in a dry run."
          },
          "bytes_freed": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "CorruptChunk": {
        "type": "object",
        "description": "A chunk whose stored record failed verification; it is quarantined (reads of content that includes it fail; uploading the same bytes again stores a good copy).",
        "required": [
          "digest",
          "pack",
          "offset",
          "reason"
        ],
        "additionalProperties": false,
        "properties": {
          "digest": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "The chunk's sha256, hex."
          },
          "pack": {
            "type": "string",
            "pattern": "^[0-9a-f]{2}/[0-9a-f]{16}\\.pack$",
            "description": "The pack file, relative to the data directory's `packs/`.",
            "examples": [
              "00/0000000000000003.pack"
            ]
          },
          "offset": {
            "type": "integer",
            "minimum": 0,
            "description": "Byte offset of the record in the pack."
          },
          "reason": {
            "type": "string",
            "description": "E.g. `sha256 mismatch`, `zstd: …`, `the record header does not name this chunk`."
          }
        }
      },
      "AffectedObject": {
        "type": "object",
        "description": "An object whose content includes a corrupt chunk.",
        "required": [
          "bucket",
          "key"
        ],
        "additionalProperties": false,
        "properties": {
          "bucket": {
            "type": "string"
          },
          "key": {
            "type": "string"
          }
        }
      },
      "AffectedVersion": {
        "type": "object",
        "description": "A model version file whose content includes a corrupt chunk.",
        "required": [
          "model",
          "version",
          "path"
        ],
        "additionalProperties": false,
        "properties": {
          "model": {
            "$ref": "#/components/schemas/ModelName"
          },
          "version": {
            "type": "integer",
            "minimum": 1
          },
          "path": {
            "type": "string"
          }
        }
      },
      "ScrubReport": {
        "type": "object",
        "description": "What one scrub read and found (`cairn scrub --json`).",
        "required": [
          "started_at",
          "seconds",
          "chunks_checked",
          "stored_bytes",
          "raw_bytes",
          "corrupt",
          "quarantined",
          "affected_objects",
          "affected_versions"
        ],
        "additionalProperties": false,
        "properties": {
          "started_at": {
            "$ref": "#/components/schemas/Timestamp"
          },
          "seconds": {
            "type": "number",
            "minimum": 0
          },
          "chunks_checked": {
            "type": "integer",
            "minimum": 0,
            "description": "Every chunk in the index, read back and its sha256 verified."
          },
          "stored_bytes": {
            "type": "integer",
            "minimum": 0,
            "description": "Bytes read from packs (stored form)."
          },
          "raw_bytes": {
            "type": "integer",
            "minimum": 0,
            "description": "Bytes verified after decompression."
          },
          "corrupt": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/CorruptChunk"
            }
          },
          "quarantined": {
            "type": "integer",
            "minimum": 0,
            "description": "Corrupt chunks moved to quarantine (a concurrent upload may have replaced one meanwhile)."
          },
          "affected_objects": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AffectedObject"
            },
            "description": "Sorted by bucket and key."
          },
          "affected_versions": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AffectedVersion"
            }
          }
        }
      },
      "FsckReport": {
        "type": "object",
        "description": "What fsck checked and found (`cairn fsck --json`). Problems are reported, not repaired (except a chunk index rebuilt on request).",
        "required": [
          "chunks",
          "blobs",
          "objects",
          "versions",
          "packs",
          "bad_chunk_entries",
          "missing_chunks",
          "quarantined_references",
          "missing_blobs",
          "bad_md5_entries",
          "blob_ref_mismatches",
          "rebuilt_chunks",
          "problems",
          "consistent"
        ],
        "additionalProperties": false,
        "properties": {
          "chunks": {
            "type": "integer",
            "minimum": 0,
            "description": "Chunk index entries checked against the packs."
          },
          "blobs": {
            "type": "integer",
            "minimum": 0
          },
          "objects": {
            "type": "integer",
            "minimum": 0
          },
          "versions": {
            "type": "integer",
            "minimum": 0,
            "description": "Model versions."
          },
          "packs": {
            "type": "integer",
            "minimum": 0,
            "description": "Pack files."
          },
          "bad_chunk_entries": {
            "type": "integer",
            "minimum": 0,
            "description": "Chunk index entries whose pack is missing, too short, or holds another record at that offset."
          },
          "missing_chunks": {
            "type": "integer",
            "minimum": 0,
            "description": "References (by blobs and multipart parts) to chunks the index lacks, quarantined ones not counted."
          },
          "quarantined_references": {
            "type": "integer",
            "minimum": 0,
            "description": "References to chunks scrub quarantined."
          },
          "missing_blobs": {
            "type": "integer",
            "minimum": 0,
            "description": "Objects and version files whose blob the index lacks."
          },
          "bad_md5_entries": {
            "type": "integer",
            "minimum": 0,
            "description": "md5 index entries naming a blob the index lacks."
          },
          "blob_ref_mismatches": {
            "type": "integer",
            "minimum": 0,
            "description": "Objects without their blob→object index entry, or a count mismatch of that index."
          },
          "rebuilt_chunks": {
            "type": "integer",
            "minimum": 0,
            "description": "Chunk index entries added from the packs' records (only with `rebuild-chunk-index=true`)."
          },
          "problems": {
            "type": "array",
            "maxItems": 100,
            "items": {
              "type": "string"
            },
            "description": "The first 100 problems, in words."
          },
          "consistent": {
            "type": "boolean",
            "description": "True when `bad_chunk_entries`, `missing_chunks`, `missing_blobs`, `bad_md5_entries` and `blob_ref_mismatches` are all 0."
          }
        }
      },
      "Status": {
        "type": "object",
        "description": "The server's status: index counts, maintenance jobs, dedupe counters.",
        "required": [
          "status",
          "dedupe"
        ],
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "ok"
          },
          "running": {
            "enum": [
              "garbage collection",
              "scrub",
              "fsck"
            ],
            "description": "The maintenance job running now; absent when none is."
          },
          "store": {
            "type": "object",
            "description": "Entries in the index now (absent if they could not be counted).",
            "required": [
              "buckets",
              "objects",
              "blobs",
              "chunks",
              "uploads",
              "parts"
            ],
            "additionalProperties": false,
            "properties": {
              "buckets": {
                "type": "integer",
                "minimum": 0
              },
              "objects": {
                "type": "integer",
                "minimum": 0
              },
              "blobs": {
                "type": "integer",
                "minimum": 0
              },
              "chunks": {
                "type": "integer",
                "minimum": 0
              },
              "uploads": {
                "type": "integer",
                "minimum": 0
              },
              "parts": {
                "type": "integer",
                "minimum": 0
              }
            }
          },
          "last_gc": {
            "$ref": "#/components/schemas/GCReport",
            "description": "The last completed collection since the server started (scheduled or requested; dry runs are not kept); absent before the first."
          },
          "last_scrub": {
            "$ref": "#/components/schemas/ScrubReport",
            "description": "The last completed scrub since the server started; absent before the first."
          },
          "last_error": {
            "type": "object",
            "description": "The last maintenance job that failed since the server started, when, and why; absent if none failed.",
            "required": [
              "job",
              "at",
              "message"
            ],
            "additionalProperties": false,
            "properties": {
              "job": {
                "enum": [
                  "garbage collection",
                  "scrub",
                  "fsck"
                ]
              },
              "at": {
                "$ref": "#/components/schemas/Timestamp"
              },
              "message": {
                "type": "string"
              }
            }
          },
          "runs": {
            "type": "object",
            "description": "Completed runs per job since the server started, e.g. `{\"garbage collection\": 3, \"scrub\": 1}` (scheduled collections and dry runs included; failed runs not).",
            "propertyNames": {
              "enum": [
                "garbage collection",
                "scrub",
                "fsck"
              ]
            },
            "additionalProperties": {
              "type": "integer",
              "minimum": 1
            }
          },
          "dedupe": {
            "type": "object",
            "description": "The dedupe counters since server start (as in `GET /api/v1/dedupe/stats`, without `index_chunks`).",
            "required": [
              "chunks_received",
              "chunks_stored",
              "wire_bytes_received",
              "chunk_bytes_stored",
              "chunks_served",
              "wire_bytes_served",
              "commits",
              "missing_queries"
            ],
            "additionalProperties": false,
            "properties": {
              "chunks_received": {
                "type": "integer",
                "minimum": 0
              },
              "chunks_stored": {
                "type": "integer",
                "minimum": 0
              },
              "wire_bytes_received": {
                "type": "integer",
                "minimum": 0
              },
              "chunk_bytes_stored": {
                "type": "integer",
                "minimum": 0
              },
              "chunks_served": {
                "type": "integer",
                "minimum": 0
              },
              "wire_bytes_served": {
                "type": "integer",
                "minimum": 0
              },
              "commits": {
                "type": "integer",
                "minimum": 0
              },
              "missing_queries": {
                "type": "integer",
                "minimum": 0
              }
            }
          }
        }
      }
    },
    "parameters": {
      "Model": {
        "name": "model",
        "in": "path",
        "required": true,
        "description": "Model name, e.g. `team/model`. Unlike other path parameters it spans several path segments: its `/` are sent as they are (`/api/v1/models/team/model/versions/1`); `%2F` is accepted as well. The name ends at the first segment `versions`, `aliases`, `files` or `lineage`, which names cannot contain.",
        "schema": {
          "$ref": "#/components/schemas/ModelName"
        }
      },
      "Version": {
        "name": "version",
        "in": "path",
        "required": true,
        "description": "Version number, or `latest` (the model's highest version when the request is served).",
        "schema": {
          "type": "string",
          "pattern": "^(latest|[1-9][0-9]*)$",
          "examples": [
            "3",
            "latest"
          ]
        }
      },
      "Alias": {
        "name": "alias",
        "in": "path",
        "required": true,
        "description": "Alias name: one segment of lowercase letters, digits, `-`, `_`, `.`, at most 100 bytes, not all digits (so `name@3` is always a version number).",
        "schema": {
          "type": "string",
          "maxLength": 100,
          "pattern": "^[a-z0-9_-][a-z0-9._-]*$",
          "examples": [
            "production"
          ]
        }
      },
      "FilePath": {
        "name": "path",
        "in": "path",
        "required": true,
        "description": "The file's path in the version, e.g. `cfg/config.json`. Spans several path segments: its `/` are sent as they are.",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      },
      "Session": {
        "name": "session",
        "in": "path",
        "required": true,
        "description": "Session ID from `POST /api/v1/dedupe/sessions`.",
        "schema": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$"
        }
      },
      "Bucket": {
        "name": "bucket",
        "in": "path",
        "required": true,
        "description": "An existing bucket.",
        "schema": {
          "type": "string"
        }
      },
      "Range": {
        "name": "Range",
        "in": "header",
        "required": false,
        "description": "One byte range, `bytes=first-last`, `bytes=first-` or `bytes=-suffix` (answer 206).",
        "schema": {
          "type": "string",
          "examples": [
            "bytes=0-1023"
          ]
        }
      },
      "Limit": {
        "name": "limit",
        "in": "query",
        "required": false,
        "description": "Page size (400 `InvalidArgument` outside 1...1000).",
        "schema": {
          "type": "integer",
          "minimum": 1,
          "maximum": 1000,
          "default": 100
        }
      }
    },
    "headers": {
      "ETag": {
        "description": "`\"<sha256 hex>\"` of the content.",
        "required": true,
        "schema": {
          "type": "string",
          "pattern": "^\"[0-9a-f]{64}\"$"
        }
      },
      "XCairnSHA256": {
        "description": "sha256 hex of the whole content.",
        "required": true,
        "schema": {
          "type": "string",
          "pattern": "^[0-9a-f]{64}$"
        }
      },
      "XCairnMD5": {
        "description": "md5 hex of the whole content.",
        "required": true,
        "schema": {
          "type": "string",
          "pattern": "^[0-9a-f]{32}$"
        }
      },
      "AcceptRanges": {
        "description": "`bytes`.",
        "required": true,
        "schema": {
          "const": "bytes"
        }
      },
      "ContentRange": {
        "description": "`bytes first-last/size`.",
        "required": true,
        "schema": {
          "type": "string",
          "pattern": "^bytes [0-9]+-[0-9]+/[0-9]+$"
        }
      },
      "XCairnVersion": {
        "description": "The version whose files these are (the alias's version, resolved once).",
        "required": true,
        "schema": {
          "type": "string",
          "pattern": "^[1-9][0-9]*$"
        }
      },
      "XCairnTruncated": {
        "description": "`true` when more keys follow (continue with `start-after` = the last key), else `false`.",
        "required": true,
        "schema": {
          "enum": [
            "true",
            "false"
          ]
        }
      }
    }
  }
}
"""#
}
