//! The demo corpus: short passages on retrieval and on async concurrency.
//!
//! Each passage is one paragraph of 35 to 90 words, so under
//! [`Chunking::DEFAULT`](super::chunker::Chunking::DEFAULT) passage `i` is
//! exactly chunk `i`, and each is the one best answer to some question.

/// The passages the demo retrieves from, in chunk order.
///
/// ```
/// use rag_phase_sync::retrieval::chunker::{chunk_documents, Chunking};
/// use rag_phase_sync::retrieval::corpus::DEMO_CORPUS;
/// assert_eq!(chunk_documents(DEMO_CORPUS, &Chunking::DEFAULT), DEMO_CORPUS);
/// ```
pub const DEMO_CORPUS: &[&str] = &[
    // 0
    "Retrieval-augmented generation (RAG) lets a language model answer from documents it never saw in \
     training. Before generating, a retrieval step finds the passages most relevant to the question and \
     places them in the prompt. The model grounds its reply in that retrieved text and can cite it, and \
     updating what the system knows means updating the documents rather than retraining the model.",
    // 1
    "A RAG system works in two stages. Offline, an ingestion step splits the source documents into \
     chunks, embeds each chunk and stores the results in an index. Online, each question is embedded the \
     same way, the index returns the closest chunks, and the generator writes an answer from them. Most \
     of the engineering effort goes into the offline stage.",
    // 2
    "Language models sometimes hallucinate: they state plausible facts that are false, because they \
     predict likely words rather than look anything up. Supplying retrieved evidence in the prompt \
     reduces this, and asking the model to answer only from that evidence, or to say it does not know, \
     reduces it further. Retrieval cannot fix a wrong source document, though.",
    // 3
    "In retrieval-augmented generation, an answer that cites its sources, for example by chunk identifier, \
     lets a reader check every claim against the passage it came from. Extractive answers go further and \
     quote sentences verbatim, so no word appears that is not in a document. Abstractive answers paraphrase \
     and read better, but a citation then only says where the idea came from.",
    // 4
    "An embedding maps a piece of text to a dense vector of floating-point numbers, typically a few \
     hundred to a few thousand dimensions. Neural embedding models are trained so that texts with similar \
     meaning get nearby vectors, which lets a search find a passage that uses different words from the \
     question, such as car and automobile.",
    // 5
    "Cosine similarity compares two vectors by the angle between them and ignores their lengths. It is \
     1 for vectors pointing the same way, 0 for orthogonal ones and -1 for opposite ones. When every \
     vector is normalised to unit length, the cosine equals the plain dot product, which is why vector \
     indexes often store normalised embeddings.",
    // 6
    "The hashing trick builds a vector without a vocabulary: each word or word pair is hashed to one of \
     a fixed number of buckets and added there. A second hash bit picks a plus or minus sign, so \
     collisions between unrelated features tend to cancel instead of piling up. It is fast and needs no \
     training, but it only captures shared words, not meaning.",
    // 7
    "Exact nearest neighbour search compares the query with every stored vector, which costs time \
     proportional to the collection size. Approximate nearest neighbour (ANN) indexes give up a little \
     recall for large speedups on millions of vectors. Common families are graph indexes, inverted file \
     indexes that probe only a few clusters, and quantisation that compresses vectors.",
    // 8
    "HNSW, short for hierarchical navigable small world, is a graph index for approximate search. Each \
     vector is a node linked to its close neighbours, and sparser layers above act like express lanes. A \
     search enters at the top layer, greedily hops toward the query, then descends layer by layer. The \
     efSearch parameter widens the candidate list for better recall.",
    // 9
    "Product quantisation shrinks vectors so billions fit in memory. Each vector is cut into several \
     subvectors, and each subvector is replaced by the id of its nearest centroid in a small codebook \
     learned with k-means. Distances are then estimated from precomputed tables of centroid distances, \
     trading some accuracy for memory and speed.",
    // 10
    "A vector database stores embeddings alongside their text and metadata, maintains an approximate \
     nearest neighbour index over them, and answers top-k similarity queries. Most also support \
     filtering by metadata such as date or author, updates and deletes without a full rebuild, and \
     persistence. A simple in-memory array with brute-force search is enough for a few thousand chunks.",
    // 11
    "Lexical retrieval matches the literal words of the query against the words of each document. An \
     inverted index makes this fast: for every term it keeps a postings list of the documents containing \
     it, so only documents sharing at least one query term are ever scored. Keyword search excels at \
     exact names, codes and rare jargon.",
    // 12
    "TF-IDF weighs a term in a document by its term frequency, how often it occurs there, times its \
     inverse document frequency, which is high for words found in few documents. A word such as \
     pipeline that appears everywhere contributes little, while a rare word such as quantisation marks \
     the few documents that discuss it.",
    // 13
    "BM25 is the standard ranking function of lexical search engines such as Lucene and Elasticsearch. \
     For each query term it multiplies the inverse document frequency by a saturating term-frequency \
     factor, and it sums over the query terms. The parameter k1, usually about 1.2, controls how quickly \
     extra occurrences of a term stop adding to the score.",
    // 14
    "Longer documents contain more words by chance, so BM25 discounts term frequency by document length \
     relative to the average length in the collection. The parameter b sets how strong that \
     normalisation is: 0 ignores length, 1 divides fully by relative length, and 0.75 is the usual \
     default. This is why BM25 needs the average length of every document.",
    // 15
    "Lucene computes inverse document frequency as the natural log of one plus (N minus df plus 0.5) \
     over (df plus 0.5), where N counts the documents and df those that contain the term. Unlike the \
     classic Robertson formula, this form never goes negative, so a term present in more than half of \
     the documents still adds a small positive amount.",
    // 16
    "Stop words are very frequent function words such as the, of, is and what. Removing them before \
     indexing shrinks postings lists and keeps them from matching every document. Modern engines often \
     keep them and rely on inverse document frequency to give them tiny weights, because phrases like \
     to be or not to be consist only of stop words.",
    // 17
    "Stemming cuts words down to a crude root, so connected, connecting and connection all become \
     connect; the Porter stemmer does this with suffix rules. Lemmatisation instead maps each word to its \
     dictionary form using a vocabulary and part of speech, turning was into be. Both raise recall by \
     matching variants, at some cost in precision.",
    // 18
    "Hybrid search runs a keyword ranker such as BM25 and a dense vector ranker side by side and merges \
     their scores. Lexical matching catches exact identifiers and rare terms that embeddings blur, while \
     embeddings catch paraphrases that share no words with the query. Scores on different scales must be \
     normalised before a weighted blend.",
    // 19
    "Reciprocal rank fusion combines several ranked lists without looking at their scores at all. Each \
     document receives the sum of one over (k plus its rank) in every list where it appears, with k \
     commonly set to 60. Because only positions matter, it merges results from retrievers whose scores \
     are not comparable.",
    // 20
    "Chunking splits long documents into pieces small enough to embed and to fit in the prompt. Chunks \
     that are too large mix several topics, which dilutes their embedding and wastes context; chunks that \
     are too small lose the surrounding context needed to understand them. Sizes of a few hundred tokens \
     are a common starting point.",
    // 21
    "Overlapping chunks repeat the last few words of one chunk at the start of the next, so neighbouring \
     chunks share some text. If a key fact straddles a boundary where the document was split, at least \
     one chunk then holds it whole. The price is a larger index and near-duplicate results, so overlaps \
     are usually kept to around ten to twenty percent of the chunk size.",
    // 22
    "Structure-aware chunking follows the document's own boundaries instead of cutting every fixed \
     number of characters. It packs whole sentences, never crosses a paragraph, and can carry section \
     headings along as context. Fixed-size splitting is simpler but may break a sentence in the middle \
     and leave each half meaningless.",
    // 23
    "Reranking is a second stage after retrieval. A fast first-stage retriever collects perhaps a hundred \
     candidates, then a slower but more accurate cross-encoder reads the query and each candidate together \
     and scores their relevance jointly. Because a cross-encoder sees both texts at once it beats a \
     bi-encoder, but it is too slow to apply to the whole collection.",
    // 24
    "Retrieval quality is measured on questions with known relevant passages. Recall at k asks whether a \
     relevant passage appears in the top k results; mean reciprocal rank averages one over the position \
     of the first relevant hit; nDCG rewards putting the most relevant passages highest. Measuring these \
     on a fixed test set turns tuning into engineering.",
    // 25
    "Stuffing many passages into a long prompt is not free. Studies of long-context models found them \
     best at using information near the start or end of the context and worst in the middle, an effect \
     called lost in the middle. Passing a few well-ranked chunks usually beats passing everything \
     retrieved.",
    // 26
    "Concurrency is about structure: several tasks make progress in overlapping time periods, possibly \
     interleaved on a single thread while each waits for input or output. Parallelism is about execution: \
     tasks literally run at the same instant on several processor cores. An async program can be highly \
     concurrent on one core.",
    // 27
    "An event loop is a single thread that repeatedly takes the next ready callback from a queue and runs \
     it to completion. While a callback runs nothing else can, so a long synchronous computation freezes \
     the whole browser tab: no clicks, no timers, no repaints. Long work must be split into small steps \
     that yield back to the loop.",
    // 28
    "Browsers keep two kinds of queues. Tasks, such as timer callbacks and input events, run one per turn \
     of the loop. Microtasks, such as promise reactions, run after the current task, and the microtask \
     queue is drained completely before the next task starts or the page renders. So a promise callback \
     queued during a task runs before a zero-delay setTimeout queued in the same task.",
    // 29
    "A Rust future is a value representing a computation that may not have finished. Futures are lazy: \
     nothing happens until an executor polls them. Each poll either returns Ready with the output or \
     Pending, and a Pending future must arrange for its waker to be called when it can make progress, so \
     the executor knows when to poll again.",
    // 30
    "The async and await keywords compile a function into a state machine that implements Future. Every \
     await is a point where the function may suspend and return Pending; variables that live across an \
     await are stored inside the future itself, which is why some futures are large and why pinning is \
     needed for self-references.",
    // 31
    "An executor, also called a runtime, drives futures to completion by polling them whenever their \
     wakers fire. Tokio schedules tasks over a pool of threads with work stealing, while in the browser \
     wasm-bindgen-futures polls Rust futures from the JavaScript microtask queue, all on the single main \
     thread.",
    // 32
    "Join and select are the two basic ways to wait for several futures. A join waits until all of them \
     complete and returns every output, as join_all and Promise.all do. A select returns as soon as the \
     first one completes, like Promise.race, and in Rust it drops the others, which cancels them, whereas \
     losing JavaScript promises keep running.",
    // 33
    "A barrier is a synchronisation point for a fixed number of parties. Each party that arrives waits \
     until the last one arrives, then all are released together and one of them is told it is the leader. \
     A reusable barrier then resets for its next generation, so the same instance can separate several \
     phases of work.",
    // 34
    "In this pipeline the barrier guards corpus statistics. BM25 needs the document frequency of every \
     query term and the average chunk length over all chunks. If one chunk started scoring while others \
     were still being embedded, it would compute its inverse document frequencies from a partial corpus \
     and get a wrong score.",
    // 35
    "A semaphore holds a fixed number of permits. A task takes a permit before starting its work and \
     returns it when done, and a task that finds none left waits. This caps how many requests run at \
     once, for example to respect the rate limit of a hosted embedding API, and provides backpressure \
     when producers outpace consumers.",
    // 36
    "Structured concurrency ties every task to a scope that cannot end before its children do. If one \
     child fails, the scope cancels its siblings and reports the error, so no task is left running \
     unnoticed and no error is lost. Trio calls such a scope a nursery; Python 3.11 added asyncio.TaskGroup \
     for the same idea.",
    // 37
    "Cancelling a Rust future means dropping it. Once you drop the future of an async function, the code \
     after its current await point never runs, but the destructors of everything it owned do run, so \
     timers, locks and sockets are released. There is no exception to catch: cancellation is simply the \
     absence of further polling.",
    // 38
    "An async operation is cancel-safe if dropping it at an await point loses no data and leaves shared \
     state consistent. A barrier wait is not cancel-safe if a dropped waiter stays counted as arrived, \
     since a later generation would then release early. A cancel-safe barrier withdraws the arrival in \
     the waiter's destructor.",
    // 39
    "A timeout races an operation against a timer. Whichever finishes first wins: if the timer fires \
     first, the operation's future is dropped and therefore cancelled, and the caller receives an \
     elapsed error. Timeouts bound how long a slow embedding call or a stuck network request can hold up \
     the rest of a pipeline.",
    // 40
    "A deadlock happens when tasks wait for each other forever. With a barrier, one failed party that \
     never arrives leaves all the others waiting indefinitely. Abortable barriers, which release every \
     waiter with an error, or task groups that cancel the siblings of a failed task, turn that hang into \
     a prompt failure.",
    // 41
    "Python's asyncio added Barrier and TaskGroup in version 3.11. A coroutine awaits barrier.wait() to \
     block until the configured number of parties arrive, and async with TaskGroup() runs child tasks \
     that all finish or are all cancelled. Unlike asyncio.gather, a TaskGroup cancels the remaining tasks \
     when one raises.",
    // 42
    "WebAssembly is a compact binary instruction format for a stack-based virtual machine. Browsers \
     validate and compile it ahead of running, and it executes in the same sandbox as JavaScript at close \
     to native speed. Languages such as Rust, C and C++ compile to it, and the same module also runs \
     outside browsers in runtimes like Wasmtime.",
    // 43
    "A WebAssembly module sees its memory as one contiguous, resizable array of bytes called linear \
     memory. It grows in pages of 64 KiB and is shared with JavaScript as an ArrayBuffer, so JavaScript \
     can read a string or array that Rust wrote by viewing a typed array at the right offset, without \
     copying it.",
    // 44
    "wasm-bindgen generates the glue between Rust and JavaScript. Annotating a Rust function with \
     #[wasm_bindgen] exports it to JavaScript with converted strings and objects, imports let Rust call \
     browser APIs, and wasm-bindgen-futures turns a Rust future into a JavaScript Promise and back. \
     wasm-pack wraps the whole build into an npm-style package.",
    // 45
    "The browser's main thread must never block. Atomics.wait throws there, and a busy loop would freeze \
     rendering and input, so waiting is expressed asynchronously: a future registers a waker and returns \
     Pending, and a timer or promise callback wakes it later. This is why a barrier for the browser has \
     to be an async one.",
];
