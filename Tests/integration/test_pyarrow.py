"""pyarrow's S3 filesystem (the AWS C++ SDK underneath) against Cairn.

A partitioned Parquet dataset is written through `pyarrow.fs.S3FileSystem`, read back whole, and read by
column and by row group — the reads Parquet readers make with range GETs on the file footer and on the
column chunks they need.
"""

from __future__ import annotations

import re

import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.dataset as ds  # noqa: E402
import pyarrow.fs as pafs  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from harness import REGION  # noqa: E402

ROWS = 60_000


@pytest.fixture
def arrow_fs(server):
    return pafs.S3FileSystem(access_key=server.access_key, secret_key=server.secret_key, region=REGION,
                             endpoint_override=server.netloc, scheme="http")


def source_table() -> pa.Table:
    return pa.table({
        "id": pa.array(range(ROWS), pa.int64()),
        "country": pa.array([("de", "fr", "jp")[i % 3] for i in range(ROWS)]),
        "score": pa.array([(i * 7919 % 10_007) / 13.0 for i in range(ROWS)], pa.float64()),
        "note": pa.array([f"row {i} " + "x" * (i % 50) for i in range(ROWS)]),
    })


def by_id(table: pa.Table) -> pa.Table:
    return table.sort_by("id")


def test_partitioned_parquet_dataset_round_trip(arrow_fs, bucket, server):
    table = source_table()
    root = f"{bucket}/sales"
    ds.write_dataset(table, root, filesystem=arrow_fs, format="parquet", partitioning=["country"],
                     partitioning_flavor="hive", max_rows_per_group=5_000, existing_data_behavior="error")
    files = sorted(i.path for i in arrow_fs.get_file_info(pafs.FileSelector(root, recursive=True)) if i.type == pafs.FileType.File)
    assert [f.split("/")[2] for f in files] == ["country=de", "country=fr", "country=jp"], files

    # Whole: every row and column comes back, the partition column rebuilt from the paths.
    whole = ds.dataset(root, filesystem=arrow_fs, format="parquet", partitioning="hive").to_table()
    assert by_id(whole).select(table.column_names).cast(table.schema).equals(by_id(table))

    # One partition, two columns, a filter.
    some = pq.read_table(root, filesystem=arrow_fs, columns=["id", "score"], filters=[("country", "=", "jp")])
    expected = table.filter(pa.compute.equal(table["country"], "jp")).select(["id", "score"])
    assert by_id(some).equals(by_id(expected))

    # One row group of one file, read by ranges: the reader fetches the footer, then that group's columns.
    path = files[1]
    size = arrow_fs.get_file_info(path).size
    offset = server.server.log_size()
    with arrow_fs.open_input_file(path) as f:
        parquet = pq.ParquetFile(f)
        meta = parquet.metadata
        assert meta.num_rows == ROWS // 3 and meta.num_row_groups >= 4  # groups of at most 5,000 rows
        group = parquet.read_row_group(2, columns=["id", "note"])
    before = sum(meta.row_group(i).num_rows for i in range(2))
    fr = table.filter(pa.compute.equal(table["country"], "fr"))
    assert group.num_rows == meta.row_group(2).num_rows > 0
    assert group.equals(fr.slice(before, group.num_rows).select(["id", "note"]))
    key = path.split("/", 1)[1]
    reads = [line for line in server.server.log_text(offset, max_lines=10_000).splitlines()
             if re.search(rf"GET /{re.escape(bucket)}/{re.escape(key)} ", line.replace("%3D", "="))]
    assert reads and all(" 206 " in line for line in reads), reads
    served = sum(int(line.split(" 206 ")[1].split()[0]) for line in reads)
    assert served < size, f"range reads served {served} bytes of a {size}-byte file"
