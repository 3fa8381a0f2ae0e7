package dev.billionllm.core.hub;

import dev.billionllm.core.io.AtomicFiles;
import dev.billionllm.core.io.ProcessLock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The on-disk cache, laid out exactly as Python's huggingface_hub lays it out so that both tools
 * read each other's downloads:
 *
 * <pre>
 * {root}/models--{org}--{name}/
 *     blobs/{etag}                    file contents, named by ETag (sha256 for LFS files, git sha1 otherwise)
 *     blobs/{etag}.incomplete         a download in progress (resumable)
 *     snapshots/{commit}/{path}       relative symlink to ../../blobs/{etag} (a copy where links are impossible)
 *     refs/{revision}                 the commit a branch or tag pointed to, no trailing newline
 *     .no_exist/{commit}/{path}       empty marker: the file does not exist at that commit
 * {root}/.locks/models--{org}--{name}/{etag}.lock   held while one process writes that blob
 * </pre>
 */
final class HubCache {

    private final Path root;
    private final boolean symlinks;

    HubCache(Path root) {
        this(root, true);
    }

    /** @param symlinks false forces copies into snapshots (tests; file systems without links) */
    HubCache(Path root, boolean symlinks) {
        this.root = root.toAbsolutePath().normalize();
        this.symlinks = symlinks;
    }

    Path root() {
        return root;
    }

    Path repoDir(RepoId repo) {
        return root.resolve(repo.cacheFolderName());
    }

    Path blob(RepoId repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    Path incomplete(RepoId repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag + ".incomplete");
    }

    Path snapshotDir(RepoId repo, String commit) {
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    /** The snapshot path of a repo file; the name must already have passed {@link HubNames#checkRepoFile}. */
    Path pointer(RepoId repo, String commit, String file) {
        Path dir = snapshotDir(repo, commit);
        Path p = dir.resolve(file).normalize();
        if (!p.startsWith(dir) || p.equals(dir)) {
            // Second line of defence after checkRepoFile: never hand out a path outside the snapshot.
            throw new HubException(HubException.Reason.INVALID_NAME, "Refusing repo file name \"" + file
                    + "\" from " + repo + ": it resolves outside the snapshot folder " + dir);
        }
        return p;
    }

    /** The commit for a revision: the revision itself if it is a commit hash, else refs/{revision}, else null. */
    String resolveCommit(RepoId repo, String revision) {
        if (HubNames.isCommitHash(revision)) {
            return revision;
        }
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) {
            return null;
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
            return HubNames.isCommitHash(commit) ? commit : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Records which commit a branch or tag points to; nothing to record for a commit hash. */
    void writeRef(RepoId repo, String revision, String commit) {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        try {
            if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).trim().equals(commit)) {
                return;
            }
            AtomicFiles.write(ref, commit.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw ioFailure("write " + ref, e);
        }
    }

    boolean isMarkedMissing(RepoId repo, String commit, String file) {
        return Files.isRegularFile(repoDir(repo).resolve(".no_exist").resolve(commit).resolve(file));
    }

    /** Remembers that a file does not exist at a commit, as huggingface_hub does after a 404. */
    void markMissing(RepoId repo, String commit, String file) {
        Path marker = repoDir(repo).resolve(".no_exist").resolve(commit).resolve(file).normalize();
        if (!marker.startsWith(repoDir(repo).resolve(".no_exist"))) {
            return;
        }
        try {
            Files.createDirectories(marker.getParent());
            if (!Files.exists(marker)) {
                Files.createFile(marker);
            }
        } catch (FileAlreadyExistsException e) {
            // another process recorded it first
        } catch (IOException e) {
            throw ioFailure("write " + marker, e);
        }
    }

    /**
     * Points {@code pointer} at {@code blob} with a relative symlink (so the cache can be moved),
     * or copies the blob where the file system refuses links. The link appears atomically.
     */
    void link(Path blob, Path pointer) {
        try {
            Files.createDirectories(pointer.getParent());
            Path tmp = pointer.resolveSibling(pointer.getFileName() + ".tmp-" + ProcessHandle.current().pid()
                    + "-" + Thread.currentThread().getId());
            Files.deleteIfExists(tmp);
            boolean linked = false;
            if (symlinks) {
                try {
                    Files.createSymbolicLink(tmp, pointer.getParent().relativize(blob));
                    linked = true;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    linked = false;
                }
            }
            if (!linked) {
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, pointer, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw ioFailure("link " + pointer + " to " + blob, e);
        }
    }

    /**
     * Takes the cross-process lock of one blob, at the path huggingface_hub uses, so that two
     * processes never write the same {@code .incomplete} file at once.
     */
    ProcessLock lock(RepoId repo, String etag) {
        Path file = root.resolve(".locks").resolve(repo.cacheFolderName()).resolve(etag + ".lock");
        try {
            return ProcessLock.acquire(file);
        } catch (IOException e) {
            throw ioFailure("lock " + file, e);
        }
    }

    static HubException ioFailure(String what, IOException e) {
        return new HubException(HubException.Reason.TRANSFER, "Cannot " + what + ": " + e, e);
    }
}
