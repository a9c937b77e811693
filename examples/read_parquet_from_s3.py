"""Read a dataset's published Parquet file straight from the site's object store, with DuckDB and Dask.

For analysts given read access to the artifact bucket of a site running with
``OPENDATA_ARTIFACT_STORE=s3``. The site's API says which object holds a dataset's Parquet file
(stored objects are named by their sha256); DuckDB and Dask then read that object through fsspec
(s3fs), in ranged requests, without going through the site. Needs ``pip install 'opendata[analysis]'``.

    python examples/read_parquet_from_s3.py --site https://data.example.gov.cn --dataset budget \\
        --bucket opendata-artifacts --prefix site/ --endpoint-url https://s3.example.gov.cn

Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the rest of botocore's chain);
OPENDATA_TOKEN, if set, is sent to the API for datasets that need a grant.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.request
from typing import Any


def parquet_key(site: str, dataset: str, *, prefix: str = "", version: int | None = None,
                token: str | None = None) -> str:
    """The object key of a dataset's Parquet file (its latest served version, or ``version``), asked of the API."""
    url = f"{site.rstrip('/')}/api/v1/datasets/{dataset}" + (f"/versions/{version}" if version else "")
    headers = {"Accept": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
        detail = json.load(answer)
    files = detail.get("files") if version else (detail.get("download") or {}).get("files")
    sha256 = next((f["sha256"] for f in files or () if f["kind"] == "parquet"), None)
    if sha256 is None:  # nothing published, or data this caller may not receive
        raise LookupError(f"{url} lists no Parquet file for this caller")
    if prefix and not prefix.endswith("/"):
        prefix += "/"  # as the site's OPENDATA_S3_PREFIX
    return f"{prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}.parquet"


def storage_options(*, endpoint_url: str | None = None, region: str | None = None,
                    key: str | None = None, secret: str | None = None) -> dict[str, Any]:
    """s3fs's options for the bucket: the same dict makes DuckDB's filesystem and Dask's ``storage_options``."""
    options: dict[str, Any] = {"key": key, "secret": secret} if key else {}
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    if region:
        options["client_kwargs"] = {"region_name": region}
    return options


def duckdb_table(bucket: str, key: str, options: dict[str, Any]):
    """A DuckDB connection with the view ``data`` over the Parquet object (read through s3fs)."""
    import duckdb
    import s3fs

    connection = duckdb.connect()
    connection.register_filesystem(s3fs.S3FileSystem(**options))  # s3:// paths go to s3fs, not httpfs
    connection.execute(f"CREATE VIEW data AS SELECT * FROM read_parquet('s3://{bucket}/{key}')")
    return connection


def dask_frame(bucket: str, key: str, options: dict[str, Any]):
    """A Dask dataframe of the Parquet object (each partition read by the worker that computes it)."""
    import dask.dataframe as dd

    return dd.read_parquet(f"s3://{bucket}/{key}", storage_options=options)


def main(argv: list[str] | None = None) -> None:
    """Print the first rows and the row count of a dataset, read by DuckDB and by Dask."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True, help="the site's base URL")
    parser.add_argument("--dataset", required=True, help="the dataset's identifier")
    parser.add_argument("--version", type=int, help="a version number (default: the latest served)")
    parser.add_argument("--bucket", required=True, help="the site's OPENDATA_S3_BUCKET")
    parser.add_argument("--prefix", default="", help="the site's OPENDATA_S3_PREFIX")
    parser.add_argument("--endpoint-url", help="the S3 server (default: AWS S3)")
    parser.add_argument("--region")
    args = parser.parse_args(argv)

    key = parquet_key(args.site, args.dataset, prefix=args.prefix, version=args.version,
                      token=os.environ.get("OPENDATA_TOKEN"))
    options = storage_options(endpoint_url=args.endpoint_url, region=args.region,
                              key=os.environ.get("AWS_ACCESS_KEY_ID"),
                              secret=os.environ.get("AWS_SECRET_ACCESS_KEY"))
    print(f"s3://{args.bucket}/{key}")

    connection = duckdb_table(args.bucket, key, options)
    print(connection.sql("SELECT * FROM data LIMIT 5"))
    print("DuckDB rows:", connection.execute("SELECT count(*) FROM data").fetchone()[0])

    frame = dask_frame(args.bucket, key, options)
    print("Dask rows:", len(frame))


if __name__ == "__main__":
    main()
