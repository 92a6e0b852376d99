"""The seed's Python solution (docs/SEED.md), as the peer we measure against.

Exactly the seed's shape: one process_chunk coroutine per chunk, Phase 1 and
Phase 2 separated by one reusable asyncio.Barrier that is waited on twice,
the chunks run in an asyncio.TaskGroup, and Phase 3 (top 3) in rag_pipeline
after the group is done. The work is the seed's placeholder: a mock
embedding, a mock score, and the seed's sleeps with every latency set to
zero (asyncio.sleep(0) still yields to the event loop once, as the seed's
code does). Nothing is printed per chunk; the script prints only totals.

    python3 seed.py N     # prints the top 3, then "elapsed_s <seconds>"

Needs Python 3.11+ (asyncio.Barrier, asyncio.TaskGroup).
"""

import asyncio
import random
import sys
import time

# The seed's latencies, (0.1, 0.3) s and 0.05 s, set to zero to measure the
# synchronisation and the work around it rather than the sleeps.
EMBED_S = (0.0, 0.0)
SCORE_S = 0.0
# Components of the mock embedding.
DIMENSION = 8


async def process_chunk(chunk_id, embeddings, scores, barrier, query_embedding):
    # Phase 1: embed this chunk.
    await asyncio.sleep(random.uniform(*EMBED_S))
    embeddings[chunk_id] = [random.random() for _ in range(DIMENSION)]
    # No chunk scores until every chunk is embedded.
    await barrier.wait()
    # Phase 2: score this chunk against the query.
    await asyncio.sleep(SCORE_S)
    embedding = embeddings[chunk_id]
    scores[chunk_id] = sum(a * b for a, b in zip(embedding, query_embedding)) / DIMENSION
    # The same barrier, its next generation: Phase 2 ends for everyone together.
    await barrier.wait()


async def rag_pipeline(chunks, query):
    embeddings = {}
    scores = {}
    barrier = asyncio.Barrier(len(chunks))
    query_embedding = [random.random() for _ in range(DIMENSION)]
    async with asyncio.TaskGroup() as group:
        for chunk_id in chunks:
            group.create_task(process_chunk(chunk_id, embeddings, scores, barrier, query_embedding))
    # Phase 3: every score exists now.
    top = sorted(scores, key=scores.get, reverse=True)[:3]
    print(f"Top 3 chunks: {top}")
    return f"Answer to {query!r} from {', '.join(top)}"


async def main(n):
    random.seed(1)
    chunks = [f"chunk-{i}" for i in range(n)]
    start = time.perf_counter()
    await rag_pipeline(chunks, query="What is retrieval augmented generation?")
    print(f"elapsed_s {time.perf_counter() - start:.6f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
