package org.dl4jpe.cli.readme;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The repository's README.md as fenced blocks: their language, their text and the line they start on. */
final class Readme {
    /** One fenced block ({@code ```lang ... ```}); {@code line} is the README line of its first text line. */
    record Block(String language, String text, int line) {}

    static final Path FILE = Path.of("..", "README.md");

    private Readme() {}

    /** The README's text (tests run in dl4j-pe-cli/, the README is one level up). */
    static String text() {
        try {
            return Files.readString(FILE, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FILE.toAbsolutePath(), e);
        }
    }

    /** The fenced blocks of {@code markdown}, in order. */
    static List<Block> blocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("```") && lines[i].length() > 3) {
                String language = lines[i].substring(3).trim();
                StringBuilder sb = new StringBuilder();
                int start = i + 2;
                for (i++; i < lines.length && !lines[i].startsWith("```"); i++) {
                    sb.append(lines[i]).append('\n');
                }
                blocks.add(new Block(language, sb.toString(), start));
            } else if (lines[i].startsWith("```")) {
                for (i++; i < lines.length && !lines[i].startsWith("```"); i++) {
                    // a block without a language: skipped
                }
            }
        }
        return blocks;
    }

    /** The part of {@code markdown} from the heading {@code heading} to the next heading of its level or above. */
    static String section(String markdown, String heading) {
        int i = markdown.indexOf("\n" + heading + "\n");
        if (i < 0) {
            throw new AssertionError("README.md has no heading '" + heading + "'");
        }
        String level = heading.substring(0, heading.indexOf(' ') + 1);
        int end = markdown.length();
        for (String h = "#"; h.length() <= level.trim().length(); h += "#") {
            int j = markdown.indexOf("\n" + h + " ", i + heading.length() + 1);
            if (j >= 0 && j < end) {
                end = j;
            }
        }
        return markdown.substring(i, end);
    }
}
